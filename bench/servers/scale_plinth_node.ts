/**
 * plinth through `adapters/node.ts` for the scale bench (`bench/scale.ts`): `scale_plinth_app.ts`,
 * settings from the environment (`scale_kit.ts`). With `PLINTH_SCALE_CLUSTER=N` this process is a
 * `node:cluster` primary that forks N workers serving one port (`reusePort`, the recipe of
 * `docs/scaling.md`); it prints `WORKERS <pid> …` and then `LISTENING <port>` once every worker listens.
 */
import cluster from "node:cluster";
import process from "node:process";
import { serve } from "../../adapters/node.ts";
import { scaleSettings } from "./scale_kit.ts";
import { scaleContainer, scaleFallback } from "./scale_plinth_app.ts";
import { announce, exitWithParent } from "./server_kit.ts";

const workers = Number(process.env.PLINTH_SCALE_CLUSTER ?? "0");

if (workers > 0 && cluster.isPrimary) {
  const forked = Array.from({ length: workers }, () => cluster.fork());
  let listening = 0;
  cluster.on("listening", (_worker, address) => {
    if (++listening === workers) {
      process.stdout.write(`WORKERS ${forked.map((w) => w.process.pid).join(" ")}\n`);
      announce(address.port);
    }
  });
  exitWithParent(() => {
    for (const worker of forked) worker.process.kill("SIGTERM");
  });
} else {
  const settings = scaleSettings();
  const container = await scaleContainer(settings);
  const server = await serve(container, {
    hostname: "127.0.0.1",
    port: settings.port,
    reusePort: settings.reusePort || cluster.isWorker,
    fallback: scaleFallback(container),
  });
  if (cluster.isWorker) process.on("SIGTERM", () => process.exit(0));
  else {
    announce(server.port);
    exitWithParent(() => server.shutdown({ timeoutMs: 100 }));
  }
}
