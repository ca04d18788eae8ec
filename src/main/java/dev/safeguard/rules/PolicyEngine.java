package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Applies a {@link Policy} to an object: excluded namespaces, rule evaluation, per-object exemptions, verdicts
 * inherited from a verified owner, UPDATE ratcheting, each rule's onError and the mode, producing a {@link Decision}
 * with one result per rule. Stateless and thread-safe.
 */
public final class PolicyEngine {

    public static final String EXEMPT_ANNOTATION = "safeguard.dev/exempt";
    public static final String EXEMPT_REASON_ANNOTATION = "safeguard.dev/exempt-reason";

    private final RuleEngine rules;
    private final OwnerVerdicts owners;

    public PolicyEngine() {
        this(new RuleEngine());
    }

    public PolicyEngine(RuleEngine rules) {
        this.rules = rules;
        this.owners = new OwnerVerdicts(rules);
    }

    public Decision decide(Policy policy, Subject subject, RelatedObjects related) {
        Workload workload = Workload.of(subject.object());
        if (policy.excludes(subject.namespace())) {
            List<RuleResult> skipped = new ArrayList<>();
            for (RuleSet.Entry entry : policy.rules().entries()) {
                if (RuleEngine.applies(entry, workload)) {
                    skipped.add(RuleResult.skipped(entry, "namespace " + subject.namespace() + " is excluded by the policy"));
                }
            }
            return new Decision(workload.reference(), policy.mode(), true, skipped, null, List.of());
        }
        List<RuleResult> evaluated = rules.evaluate(policy.rules(), subject, related);
        List<Notice> notices = new ArrayList<>();
        Map<String, String> exempt = exemptions(subject.object(), policy.rules(), notices);
        // Inherited first: what a verified owner stands for (its exemption copied onto a ReplicaSet included)
        // is counted once, on the owner.
        List<RuleResult> violations = evaluated.stream()
                .filter(result -> result.status() == RuleResult.Status.FAIL).toList();
        OwnerVerdicts.Result owned = owners.judge(policy, subject, workload, violations, related);
        notices.addAll(owned.notes());

        List<RuleResult> results = new ArrayList<>(evaluated.size());
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
                results.add(result.disposed(Disposition.of(entry.onError(), policy.mode()), false));
            } else {
                judgedInFull = true;
                boolean ratcheted = false;
                if (entry.action() == Action.DENY && policy.ratcheting() && subject.oldObject() != null) {
                    if (previouslyViolated == null) {
                        previouslyViolated = violatedBefore(policy, subject, related);
                    }
                    ratcheted = previouslyViolated.contains(result.ruleId());
                }
                results.add(ratcheted ? result.disposed(Disposition.WARN, true)
                        : result.disposed(Disposition.of(entry.action(), policy.mode()), false));
            }
        }
        return new Decision(workload.reference(), policy.mode(), false, results,
                judgedInFull ? owned.ownership() : null, notices);
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

    /**
     * Rule ids the object exempts itself from, mapped to the reason. An exemption without a reason is
     * ignored and said so; an unknown rule id is pointed out.
     */
    private static Map<String, String> exemptions(Map<String, Object> object, RuleSet ruleSet, List<Notice> notices) {
        Map<String, Object> annotations = ObjectTree.map(object, "metadata", "annotations");
        if (!(annotations.get(EXEMPT_ANNOTATION) instanceof String list) || list.isBlank()) {
            return Map.of();
        }
        String reason = annotations.get(EXEMPT_REASON_ANNOTATION) instanceof String text ? text.strip() : "";
        if (reason.isEmpty()) {
            notices.add(new Notice(EXEMPT_ANNOTATION, "ignored: exempting '" + list.strip()
                    + "' needs a non-empty " + EXEMPT_REASON_ANNOTATION + " annotation saying why"));
            return Map.of();
        }
        Map<String, String> exempt = new LinkedHashMap<>();
        for (String id : list.split(",")) {
            String ruleId = id.strip();
            if (ruleId.isEmpty()) {
                continue;
            }
            if (!ruleSet.contains(ruleId)) {
                notices.add(new Notice(EXEMPT_ANNOTATION, "names unknown rule '" + ruleId + "': check the spelling"));
                continue;
            }
            exempt.put(ruleId, reason);
        }
        return exempt;
    }
}
