package dev.safeguard.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code safeguard} command line: everything but {@code serve}, which Main hands to Quarkus. */
@Command(name = "safeguard",
        mixinStandardHelpOptions = true,
        versionProvider = SafeguardCommand.Version.class,
        description = "Kubernetes safeguard rules: the admission webhook (serve) and the same rules on manifests.",
        subcommands = {RulesCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run without a command, or with 'serve', to start the admission webhook."})
public final class SafeguardCommand implements Runnable {

    /** Exit codes shared by every command. */
    public static final int OK = 0;
    public static final int VIOLATIONS = 1;
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command line and returns the process exit code. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new SafeguardCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        // Usage mistakes are bad input, like an unreadable file: exit 2, never confused with "violations found".
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            exception.getCommandLine().getErr().println("safeguard: " + exception.getMessage());
            exception.getCommandLine().usage(exception.getCommandLine().getErr());
            return BAD_INPUT;
        });
        commandLine.setExecutionExceptionHandler((exception, command, parseResult) -> {
            command.getErr().println("safeguard: " + exception.getMessage());
            return BAD_INPUT;
        });
        return commandLine.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = SafeguardCommand.class.getPackage().getImplementationVersion();
            return new String[] {"kube-safeguard " + (version == null ? "development build" : version)};
        }
    }
}
