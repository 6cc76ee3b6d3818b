import { buildRegistration, ContainerState } from "./container.ts";
import type { EndpointRegistration } from "./container.ts";
import type { EndpointMap } from "./types.ts";

const registrations = new WeakMap<object, EndpointRegistration>();

/**
 * The registration of an endpoint served without a container (by a router),
 * made on first use and kept for the endpoint object, so its sessions share
 * `openSessions` and limits. Its config's path is the first request's path.
 */
export function standaloneRegistration<S>(endpoint: EndpointMap<S>, path: string): EndpointRegistration {
  let registration = registrations.get(endpoint);
  if (registration === undefined) {
    const template = { source: path, segments: [], names: [], key: path, requestPath: path };
    registration = buildRegistration(new ContainerState({}), template, endpoint);
    registrations.set(endpoint, registration);
  }
  return registration;
}
