package dev.safeguard.cli;

import dev.safeguard.rules.Action;
import dev.safeguard.rules.RuleLoadException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code safeguard} command line: everything but {@code serve}, which Main hands to Quarkus. */
@Command(name = "safeguard",
        mixinStandardHelpOptions = true,
        versionProvider = SafeguardCommand.Version.class,
        description = "Kubernetes safeguard rules: the admission webhook (serve) and the same rules on manifests.",
        subcommands = {CheckCommand.class, ReadinessCommand.class, RulesCommand.class, ExportCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run without a command, or with 'serve', to start the admission webhook; with 'audit', the "
                + "background audit of what runs in the cluster."})
public final class SafeguardCommand implements Runnable {

    /** Exit codes shared by every command. */
    public static final int OK = 0;
    public static final int VIOLATIONS = 1;
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final InputStream stdin;

    private SafeguardCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** What {@code -} reads: System.in, or what a test hands in. */
    InputStream stdin() {
        return stdin;
    }

    /** Runs the command line and returns the process exit code. */
    public static int run(String... args) {
        return run(System.in, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(System.in, out, err, args);
    }

    /** As {@link #run(PrintWriter, PrintWriter, String...)}, with {@code -} reading {@code stdin}. */
    public static int run(InputStream stdin, PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new SafeguardCommand(stdin));
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.registerConverter(Action.class, value -> Action.parse(value.toLowerCase(Locale.ROOT)));
        // Usage mistakes are bad input, like an unreadable file: exit 2, never confused with "violations found".
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            exception.getCommandLine().getErr().println("safeguard: " + exception.getMessage());
            exception.getCommandLine().usage(exception.getCommandLine().getErr());
            return BAD_INPUT;
        });
        commandLine.setExecutionExceptionHandler((exception, command, parseResult) -> {
            PrintWriter commandErr = command.getErr();
            commandErr.println("safeguard: " + exception.getMessage());
            if (!(exception instanceof RuleLoadException || exception instanceof ManifestException)) {
                // Not the user's input: a bug. Show where, so that it can be reported.
                exception.printStackTrace(commandErr);
            }
            commandErr.flush();
            return BAD_INPUT;
        });
        int exit = commandLine.execute(args);
        out.flush();
        err.flush();
        return exit;
    }

    /** The packaged version, or "development build" when run from classes. */
    static String version() {
        String version = SafeguardCommand.class.getPackage().getImplementationVersion();
        return version == null ? "development build" : version;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"kube-safeguard " + version()};
        }
    }
}
