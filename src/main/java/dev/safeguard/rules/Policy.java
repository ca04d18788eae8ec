package dev.safeguard.rules;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

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

    /** The kinds the enabled rules judge (their match.kinds): what an audit of a cluster reads. */
    public Set<String> judgedKinds() {
        Set<String> kinds = new TreeSet<>();
        enabledRules().forEach(entry -> kinds.addAll(entry.rule().definition().match().kinds()));
        return kinds;
    }

    /** The kinds the enabled rules read beside the object they judge (their related:); an off rule reads nothing. */
    public Set<String> relatedKinds() {
        Set<String> kinds = new TreeSet<>();
        enabledRules().forEach(entry -> kinds.addAll(entry.rule().definition().related()));
        return kinds;
    }

    /** Every kind a verdict may depend on besides the object itself: related kinds and owner kinds. */
    public Set<String> contextKinds() {
        Set<String> kinds = relatedKinds();
        kinds.addAll(ownership.ownerKinds().keySet());
        return kinds;
    }

    private Stream<RuleSet.Entry> enabledRules() {
        return rules.entries().stream().filter(entry -> entry.action() != Action.OFF);
    }

    public boolean excludes(String namespace) {
        return namespace != null && excludedNamespaces.contains(namespace);
    }
}
