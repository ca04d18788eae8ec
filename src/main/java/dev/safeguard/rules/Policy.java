package dev.safeguard.rules;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * One version of the policy: the rules with their effective actions, params and dates, the mode, the namespaces never
 * evaluated, what exemptions must be, and the policies of particular namespaces. Immutable, so every request is
 * decided by exactly one version.
 *
 * @param version    a short fingerprint of the policy's content, for logs and metrics
 * @param ownership  whose ownerReferences are believed, so that their objects inherit their owner's verdicts
 * @param exemptions what an object's exemption needs to count (an end, a bounded end, an allowed grantor)
 * @param namespaces per-namespace policies, first match wins; a namespace none selects gets this policy's mode and
 *                   rules
 * @param teamLabel  the namespace label whose value is the {@code team} of a decision (metrics, reports); null: none
 */
public record Policy(String name, String version, Mode mode, RuleSet rules, Set<String> excludedNamespaces,
        boolean ratcheting, Ownership ownership, ExemptionPolicy exemptions, List<NamespacePolicy> namespaces,
        String teamLabel) {

    /** The label every namespace carries with its own name (Kubernetes 1.22+), known even without an informer. */
    public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
    /** The scope of the policy's own rules, as metrics name it (a namespace entry's scope is its name). */
    public static final String CLUSTER_SCOPE = "cluster";

    public Policy {
        excludedNamespaces = Set.copyOf(excludedNamespaces);
        ownership = ownership == null ? Ownership.BUILT_IN : ownership;
        exemptions = exemptions == null ? ExemptionPolicy.OPEN : exemptions;
        namespaces = namespaces == null ? List.of() : List.copyOf(namespaces);
        teamLabel = teamLabel == null || teamLabel.isBlank() ? null : teamLabel;
    }

    public Policy(String name, String version, Mode mode, RuleSet rules, Set<String> excludedNamespaces,
            boolean ratcheting, Ownership ownership) {
        this(name, version, mode, rules, excludedNamespaces, ratcheting, ownership, ExemptionPolicy.OPEN, List.of(),
                null);
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

    /** This policy in {@code newMode} everywhere, its namespace entries included (an audit switch stops every denial). */
    public Policy withMode(Mode newMode) {
        List<NamespacePolicy> entries = namespaces.stream()
                .map(entry -> new NamespacePolicy(entry.name(), entry.selector(), newMode, entry.rules())).toList();
        return new Policy(name, version, newMode, rules, excludedNamespaces, ratcheting, ownership, exemptions, entries,
                teamLabel);
    }

    public Policy withRatcheting(boolean enabled) {
        return new Policy(name, version, mode, rules, excludedNamespaces, enabled, ownership, exemptions, namespaces,
                teamLabel);
    }

    /** This policy with {@code change} applied to its rules and to every namespace entry's rules. */
    public Policy withRules(UnaryOperator<RuleSet> change) {
        List<NamespacePolicy> entries = namespaces.stream()
                .map(entry -> new NamespacePolicy(entry.name(), entry.selector(), entry.mode(), change.apply(entry.rules())))
                .toList();
        return new Policy(name, version, mode, change.apply(rules), excludedNamespaces, ratcheting, ownership, exemptions,
                entries, teamLabel);
    }

    /**
     * The policy for a namespace with these labels: the first namespace entry whose selector picks them (its mode
     * and rules), else this policy's own. The result has no namespace entries left to choose from.
     */
    public Policy forNamespace(Map<String, ?> namespaceLabels) {
        NamespacePolicy entry = namespaceEntry(namespaceLabels);
        if (entry == null) {
            return namespaces.isEmpty() ? this : new Policy(name, version, mode, rules, excludedNamespaces, ratcheting,
                    ownership, exemptions, List.of(), teamLabel);
        }
        return new Policy(name, version, entry.mode(), entry.rules(), excludedNamespaces, ratcheting, ownership,
                exemptions, List.of(), teamLabel);
    }

    /** The first namespace entry that picks a namespace with these labels, or null. */
    public NamespacePolicy namespaceEntry(Map<String, ?> namespaceLabels) {
        for (NamespacePolicy entry : namespaces) {
            if (entry.selects(namespaceLabels)) {
                return entry;
            }
        }
        return null;
    }

    /** The team a namespace with these labels belongs to: its {@link #teamLabel} value, or "" for none. */
    public String team(Map<String, ?> namespaceLabels) {
        return teamLabel != null && namespaceLabels.get(teamLabel) instanceof String team ? team : "";
    }

    /** True when a verdict may depend on the labels of the object's namespace: namespace entries, or team routing. */
    public boolean readsNamespaceLabels() {
        return !namespaces.isEmpty() || teamLabel != null;
    }

    /** A dated deny of this policy: rule {@code ruleId} denies from {@code enforceFrom} in {@code scope}. */
    public record ScheduledEnforcement(String ruleId, String scope, Instant enforceFrom) {
    }

    /**
     * Every dated deny that will deny: in the policy's own rules ({@value #CLUSTER_SCOPE}) and in each namespace entry
     * (which carries the policy's dates unless it overrides them), where the mode is enforce (in audit mode a date
     * changes nothing).
     */
    public List<ScheduledEnforcement> scheduledEnforcements() {
        List<ScheduledEnforcement> scheduled = new ArrayList<>();
        if (mode == Mode.ENFORCE) {
            addScheduled(scheduled, CLUSTER_SCOPE, rules);
        }
        namespaces.stream().filter(entry -> entry.mode() == Mode.ENFORCE)
                .forEach(entry -> addScheduled(scheduled, entry.name(), entry.rules()));
        return scheduled;
    }

    private static void addScheduled(List<ScheduledEnforcement> into, String scope, RuleSet ruleSet) {
        for (RuleSet.Entry entry : ruleSet.entries()) {
            if (entry.action() == Action.DENY && entry.enforceFrom() != null) {
                into.add(new ScheduledEnforcement(entry.id(), scope, entry.enforceFrom()));
            }
        }
    }

    /** The kinds the enabled rules judge (their match.kinds), in any namespace: what an audit of a cluster reads. */
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

    /**
     * Every kind a verdict may depend on besides the object itself: related kinds, owner kinds, and Namespace when the
     * policy reads namespace labels.
     */
    public Set<String> contextKinds() {
        Set<String> kinds = relatedKinds();
        kinds.addAll(ownership.ownerKinds().keySet());
        if (readsNamespaceLabels()) {
            kinds.add("Namespace");
        }
        return kinds;
    }

    /** The enabled rules of the policy and of every namespace entry. */
    private Stream<RuleSet.Entry> enabledRules() {
        return Stream.concat(Stream.of(rules), namespaces.stream().map(NamespacePolicy::rules))
                .flatMap(ruleSet -> ruleSet.entries().stream()).filter(entry -> entry.action() != Action.OFF);
    }

    public boolean excludes(String namespace) {
        return namespace != null && excludedNamespaces.contains(namespace);
    }
}
