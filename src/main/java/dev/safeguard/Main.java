package dev.safeguard;

import dev.safeguard.server.SelfSignedTls;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.Arrays;

/**
 * One artifact, two jobs: with no argument or {@code serve} it starts the webhook server; any other command
 * runs the command line without starting Quarkus, so it binds no port and starts in a fraction of the time.
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
        System.exit(dev.safeguard.cli.SafeguardCommand.run(args));
    }

    private static void serve(String[] args) throws Exception {
        if (SelfSignedTls.notConfigured()) {
            SelfSignedTls.generate();
        }
        Quarkus.run(args);
    }
}
