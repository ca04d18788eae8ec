package dev.safeguard.cli;

import dev.safeguard.rules.Action;
import dev.safeguard.rules.RuleLoadException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code safeguard} command line: everything but {@code serve}, which Main hands to Quarkus. */
@Command(name = "safeguard",
        mixinStandardHelpOptions = true,
        versionProvider = SafeguardCommand.Version.class,
        description = "Kubernetes safeguard rules: the admission webhook (serve) and the same rules on manifests.",
        footer = {"", "Run without a command, or with 'serve', to start the admission webhook; with 'audit', the "
                + "background audit of what runs in the cluster."})
public final class SafeguardCommand implements Runnable {

    /**
     * The commands, by the names their {@code @Command} annotations give them, in the order usage lists them. Picocli
     * reads a command's annotations by reflection when it is added: a run that names one command gets only that one
     * ({@link #commandLine}), about 10 ms of a one-manifest check at a cold start.
     */
    static final Map<String, Class<?>> COMMANDS = commands();

    private static Map<String, Class<?>> commands() {
        Map<String, Class<?>> commands = new LinkedHashMap<>();
        commands.put("check", CheckCommand.class);
        commands.put("readiness", ReadinessCommand.class);
        commands.put("rules", RulesCommand.class);
        commands.put("export", ExportCommand.class);
        commands.put("help", CommandLine.HelpCommand.class);
        return Collections.unmodifiableMap(commands);
    }

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

    /** Runs the command line of this process and returns its exit code. */
    public static int run(String... args) {
        if (oneCommand(args) != null) {
            BuiltInPack.preload(); // every command compiles the pack: overlap that with parsing the command line
        }
        return run(System.in, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(System.in, out, err, args);
    }

    /** As {@link #run(PrintWriter, PrintWriter, String...)}, with {@code -} reading {@code stdin}. */
    public static int run(InputStream stdin, PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = commandLine(stdin, args);
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

    /**
     * The command line for {@code args}, before anything is configured (picocli hands settings down only to the
     * commands already added): only the command {@code args} names, or all of them where a run may show or need
     * them all (no command, {@code help}, an option, a name that is not a command, which picocli then reports).
     */
    static CommandLine commandLine(InputStream stdin, String... args) {
        CommandLine commandLine = new CommandLine(new SafeguardCommand(stdin));
        String named = oneCommand(args);
        if (named != null) {
            commandLine.addSubcommand(named, COMMANDS.get(named));
        } else {
            COMMANDS.forEach(commandLine::addSubcommand);
        }
        return commandLine;
    }

    /** The one command {@code args} runs ({@code help} shows others, so it is none), or null. */
    private static String oneCommand(String... args) {
        return args.length > 0 && COMMANDS.containsKey(args[0]) && !"help".equals(args[0]) ? args[0] : null;
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
