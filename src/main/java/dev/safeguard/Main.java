package dev.safeguard;

import dev.safeguard.server.SelfSignedTls;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.Arrays;

/**
 * One artifact, three jobs: with no argument or {@code serve} it starts the webhook server; {@code audit} starts
 * the background audit (the same server without the webhook port: informers, reports, health and metrics on
 * the management port); any other command runs the command line without starting Quarkus, so it binds no
 * port and starts in a fraction of the time.
 */
@QuarkusMain
public final class Main {

    private Main() {
    }

    public static void main(String... args) throws Exception {
        if (args.length == 0 || "serve".equals(args[0])) {
            serve(args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if ("audit".equals(args[0])) {
            // The role is the command's: system properties outrank the environment and the packaged defaults.
            System.setProperty("safeguard.audit.enabled", "true");
            System.setProperty("safeguard.context.enabled", "true");
            System.setProperty("quarkus.http.host-enabled", "false");
            serve(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        System.exit(dev.safeguard.cli.SafeguardCommand.run(args));
    }

    private static void serve(String[] args) throws Exception {
        if (SelfSignedTls.notConfigured()) {
            SelfSignedTls.generate();
        }
        Quarkus.run(args);
    }
}
