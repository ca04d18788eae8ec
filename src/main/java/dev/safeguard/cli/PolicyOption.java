package dev.safeguard.cli;

import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyLoader;
import dev.safeguard.rules.RuleLoadException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --policy FILE}: the same SafeguardPolicy file the webhook reads (mode, overrides, custom rules,
 * exclusions), on top of the built-in pack. Without it, the built-in pack with its default actions, enforced.
 */
final class PolicyOption {

    @Option(names = "--policy", paramLabel = "FILE",
            description = "SafeguardPolicy file (safeguard.dev/v1alpha1), as mounted into the webhook. "
                    + "Default: the built-in rules with their default actions, mode enforce.")
    Path file;

    /** Compiles the pack and applies the policy file; a bad rule or policy is a RuleLoadException (exit 2). */
    Policy load() throws RuleLoadException {
        BuiltInPack.Loaded builtIn = BuiltInPack.take();
        return file == null ? Policy.builtIn(builtIn.pack())
                : new PolicyLoader(builtIn.loader(), builtIn.pack()).load(file);
    }
}
