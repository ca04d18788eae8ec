package dev.safeguard.rules;

import java.util.List;
import java.util.Set;

/**
 * One version of the policy: the rules with their effective actions and params, the mode, and the
 * namespaces never evaluated. Immutable, so every request is decided by exactly one version.
 *
 * @param version a short fingerprint of the policy's content, for logs and metrics
 */
public record Policy(String name, String version, Mode mode, RuleSet rules, Set<String> excludedNamespaces,
        boolean ratcheting) {

    public Policy {
        excludedNamespaces = Set.copyOf(excludedNamespaces);
    }

    /** The built-in pack with each rule's default action, enforced, nothing excluded. */
    public static Policy builtIn(List<CompiledRule> pack) {
        return new Policy("built-in", "built-in", Mode.ENFORCE, RuleSet.withDefaults(pack), Set.of(), true);
    }

    public Policy withMode(Mode newMode) {
        return new Policy(name, version, newMode, rules, excludedNamespaces, ratcheting);
    }

    public Policy withRatcheting(boolean enabled) {
        return new Policy(name, version, mode, rules, excludedNamespaces, enabled);
    }

    public boolean excludes(String namespace) {
        return namespace != null && excludedNamespaces.contains(namespace);
    }
}
