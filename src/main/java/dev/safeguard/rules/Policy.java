package dev.safeguard.rules;

import java.util.List;
import java.util.Set;

/**
 * One version of the policy: the rules with their effective actions and params, the mode, and the
 * namespaces never evaluated. Immutable, so every request is decided by exactly one version.
 *
 * @param version   a short fingerprint of the policy's content, for logs and metrics
 * @param ownership whose ownerReferences are believed, so that their objects inherit their owner's verdicts
 */
public record Policy(String name, String version, Mode mode, RuleSet rules, Set<String> excludedNamespaces,
        boolean ratcheting, Ownership ownership) {

    public Policy {
        excludedNamespaces = Set.copyOf(excludedNamespaces);
        ownership = ownership == null ? Ownership.BUILT_IN : ownership;
    }

    /** A policy that trusts only kube-controller-manager's controllers. */
    public Policy(String name, String version, Mode mode, RuleSet rules, Set<String> excludedNamespaces,
            boolean ratcheting) {
        this(name, version, mode, rules, excludedNamespaces, ratcheting, Ownership.BUILT_IN);
    }

    /** The built-in pack with each rule's default action, enforced, nothing excluded. */
    public static Policy builtIn(List<CompiledRule> pack) {
        return new Policy("built-in", "built-in", Mode.ENFORCE, RuleSet.withDefaults(pack), Set.of(), true);
    }

    public Policy withMode(Mode newMode) {
        return new Policy(name, version, newMode, rules, excludedNamespaces, ratcheting, ownership);
    }

    public Policy withRatcheting(boolean enabled) {
        return new Policy(name, version, mode, rules, excludedNamespaces, enabled, ownership);
    }

    public boolean excludes(String namespace) {
        return namespace != null && excludedNamespaces.contains(namespace);
    }
}
