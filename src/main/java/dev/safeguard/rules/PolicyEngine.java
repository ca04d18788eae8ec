package dev.safeguard.rules;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Applies a {@link Policy} to an object: the namespace's own policy (by its labels), excluded namespaces, rule
 * evaluation, per-object exemptions (their ends, and who granted them), verdicts inherited from a verified owner,
 * UPDATE ratcheting, each rule's onError, dated enforcement and the mode, producing a {@link Decision} with one result
 * per rule. Stateless and thread-safe; "now" is its clock's.
 */
public final class PolicyEngine {

    public static final String EXEMPT_ANNOTATION = Exemptions.EXEMPT;
    public static final String EXEMPT_REASON_ANNOTATION = Exemptions.REASON;

    private final RuleEngine rules;
    private final OwnerVerdicts owners;
    private final Clock clock;

    public PolicyEngine() {
        this(new RuleEngine(), Clock.systemUTC());
    }

    public PolicyEngine(RuleEngine rules) {
        this(rules, Clock.systemUTC());
    }

    /** An engine whose "now" (dated enforcement, exemption ends) is {@code clock}'s: tests, {@code check --at}. */
    public PolicyEngine(Clock clock) {
        this(new RuleEngine(), clock);
    }

    public PolicyEngine(RuleEngine rules, Clock clock) {
        this.rules = rules;
        this.owners = new OwnerVerdicts(rules);
        this.clock = clock;
    }

    public Decision decide(Policy servingPolicy, Subject subject, RelatedObjects related) {
        Instant now = clock.instant();
        Map<String, ?> namespaceLabels = servingPolicy.readsNamespaceLabels()
                ? namespaceLabels(subject.namespace(), related) : Map.of();
        Policy policy = servingPolicy.forNamespace(namespaceLabels);
        String team = servingPolicy.team(namespaceLabels);
        Workload workload = Workload.of(subject.object());
        if (policy.excludes(subject.namespace())) {
            List<RuleResult> skipped = new ArrayList<>();
            for (RuleSet.Entry entry : policy.rules().entries()) {
                if (RuleEngine.applies(entry, workload)) {
                    skipped.add(RuleResult.skipped(entry, "namespace " + subject.namespace() + " is excluded by the policy"));
                }
            }
            return new Decision(workload.reference(), policy.mode(), true, skipped, null, List.of(), List.of(), null,
                    team);
        }
        List<RuleResult> evaluated = rules.evaluate(policy.rules(), subject, related);
        List<Notice> notices = new ArrayList<>();
        List<Exemptions.Exemption> exemptions = Exemptions.read(subject.object(), policy.rules(), policy.exemptions(),
                now, notices);
        Exemptions.Grant grant = Exemptions.grant(subject, policy);
        Map<String, String> exempt = new LinkedHashMap<>();
        if (grant == null || grant.allowed()) { // a refused grant exempts nothing: the violations are judged in full
            for (Exemptions.Exemption exemption : exemptions) {
                if (!exemption.expired()) {
                    exempt.put(exemption.ruleId(), exemption.reason());
                }
            }
        }
        // Inherited first: what a verified owner stands for (its exemption copied onto a ReplicaSet included)
        // is counted once, on the owner.
        List<RuleResult> violations = evaluated.stream()
                .filter(result -> result.status() == RuleResult.Status.FAIL).toList();
        OwnerVerdicts.Result owned = owners.judge(policy, subject, workload, violations, related);
        notices.addAll(owned.notes());

        List<RuleResult> results = new ArrayList<>(evaluated.size() + 1);
        Set<String> previouslyViolated = null;
        boolean judgedInFull = false;
        for (RuleResult result : evaluated) {
            String reason = exempt.get(result.ruleId());
            RuleResult.Owner owner = owned.inherited().get(result.ruleId());
            RuleSet.Entry entry = policy.rules().find(result.ruleId()).orElseThrow();
            if (result.status() == RuleResult.Status.PASS) {
                results.add(result);
            } else if (owner != null) {
                results.add(result.inheritedFrom(owner));
            } else if (reason != null) {
                results.add(result.exempted(reason));
            } else if (result.status() == RuleResult.Status.ERROR) {
                results.add(dispose(result, entry, entry.onError(), policy.mode(), now));
            } else {
                judgedInFull = true;
                RuleResult disposed = dispose(result, entry, entry.action(), policy.mode(), now);
                boolean ratcheted = false;
                if (disposed.disposition() == Disposition.DENY && policy.ratcheting() && subject.oldObject() != null) {
                    if (previouslyViolated == null) {
                        previouslyViolated = violatedBefore(policy, subject, related);
                    }
                    ratcheted = previouslyViolated.contains(result.ruleId());
                }
                results.add(ratcheted ? result.disposed(Disposition.WARN, true) : disposed);
            }
        }
        if (grant != null && !grant.allowed()) { // first: it is why the violations below were not exempted
            results.add(0, Exemptions.refused(grant, policy.mode()));
        }
        // An exemption copied from a verified owner (a ReplicaSet's, from its Deployment) is the owner's: counted there.
        List<Exemptions.Exemption> own = exemptions.stream()
                .filter(exemption -> !owned.inherited().containsKey(exemption.ruleId())).toList();
        return new Decision(workload.reference(), policy.mode(), false, results,
                judgedInFull ? owned.ownership() : null, notices, own, grant, team);
    }

    /**
     * A finding of {@code entry} under {@code action} (its action for a violation, its onError for an error): what
     * the mode makes of it, except that a deny the policy dates later is a would-deny until its date, in enforce mode
     * saying when it starts.
     */
    private static RuleResult dispose(RuleResult result, RuleSet.Entry entry, Action action, Mode mode, Instant now) {
        Disposition disposition = Disposition.of(action, mode);
        Instant from = entry.scheduledAfter(now);
        if (disposition == Disposition.DENY && from != null) {
            return result.disposed(Disposition.WOULD_DENY, false, new RuleResult.Schedule(from, now));
        }
        return result.disposed(disposition, false);
    }

    /**
     * The namespace's labels from the context source, with the name label every namespace carries: what a policy's
     * namespace entries and team label are matched against. An object of no known namespace (a manifest without one)
     * gets what the source says of the unknown namespace: in {@code check}, the {@code --namespace-labels}.
     */
    public static Map<String, ?> namespaceLabels(String namespace, RelatedObjects related) {
        if (namespace == null || namespace.isEmpty()) {
            return related.namespaceLabels(null);
        }
        Map<String, Object> labels = new HashMap<>(related.namespaceLabels(namespace));
        labels.put(Policy.NAMESPACE_NAME_LABEL, namespace);
        return labels;
    }

    /** Rule ids the previous version of the object (UPDATE) already violated. */
    private Set<String> violatedBefore(Policy policy, Subject subject, RelatedObjects related) {
        Subject previous = new Subject(subject.oldObject(), null, subject.operation(), subject.namespace(),
                subject.userInfo(), subject.dryRun(), subject.origin());
        Set<String> ids = new TreeSet<>();
        for (RuleResult result : rules.evaluate(policy.rules(), previous, related)) {
            if (result.status() == RuleResult.Status.FAIL) {
                ids.add(result.ruleId());
            }
        }
        return ids;
    }
}
