package dev.safeguard.cli;

import java.util.List;
import picocli.CommandLine;

/** What a command judges: manifest paths, or with {@code --cluster} what a cluster runs; never both. */
final class Inputs {

    private Inputs() {
    }

    /** A usage error (exit 2) when the choice is missing, doubled or half-made. */
    static void validate(CommandLine.Model.CommandSpec spec, List<String> paths, boolean cluster, String context) {
        boolean hasPaths = paths != null && !paths.isEmpty();
        if (cluster && hasPaths) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give manifest paths or --cluster, not both");
        }
        if (!cluster && !hasPaths) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "nothing to check: give manifest paths ('-' for standard input) or --cluster");
        }
        if (!cluster && context != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--context needs --cluster");
        }
    }
}
