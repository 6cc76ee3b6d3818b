/**
 * plinth through `adapters/bun.ts` for the scale bench (`bench/scale.ts`): `scale_plinth_app.ts`,
 * settings from the environment (`scale_kit.ts`).
 */
import { serve } from "../../adapters/bun.ts";
import { scaleSettings } from "./scale_kit.ts";
import { scaleContainer, scaleFallback } from "./scale_plinth_app.ts";
import { announce, exitWithParent } from "./server_kit.ts";

const settings = scaleSettings();
const container = await scaleContainer(settings);
const server = await serve(container, {
  hostname: "127.0.0.1",
  port: settings.port,
  reusePort: settings.reusePort,
  fallback: scaleFallback(container),
});
announce(server.port);
exitWithParent(() => server.shutdown({ timeoutMs: 100 }));
