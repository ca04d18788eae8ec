package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Applies a {@link Policy} to an object: excluded namespaces, rule evaluation, per-object exemptions,
 * verdicts inherited from a verified owner, UPDATE ratcheting and the mode, producing a {@link Decision}.
 * Stateless and thread-safe.
 */
public final class PolicyEngine {

    public static final String EXEMPT_ANNOTATION = "safeguard.dev/exempt";
    public static final String EXEMPT_REASON_ANNOTATION = "safeguard.dev/exempt-reason";

    private final RuleEngine rules = new RuleEngine();
    private final OwnerVerdicts owners = new OwnerVerdicts(rules);

    public Decision decide(Policy policy, Subject subject, RelatedObjects related) {
        Workload workload = Workload.of(subject.object());
        if (policy.excludes(subject.namespace())) {
            return Decision.excluded(workload.reference(), policy.mode());
        }
        Evaluation evaluation = rules.evaluate(policy.rules(), subject, related);
        List<String> notices = new ArrayList<>();
        Map<String, String> exempt = exemptions(subject.object(), policy.rules(), notices);
        // Inherited first: what a verified owner stands for (its exemption copied onto a ReplicaSet included)
        // is counted once, on the owner.
        OwnerVerdicts.Result owned = owners.judge(policy, subject, workload, evaluation.violations(), related);
        notices.addAll(owned.notes());

        List<Violation> denied = new ArrayList<>();
        List<Violation> wouldDeny = new ArrayList<>();
        List<Violation> ratcheted = new ArrayList<>();
        List<Violation> warnings = new ArrayList<>();
        List<Violation> audited = new ArrayList<>();
        List<Decision.Exemption> honoured = new ArrayList<>();
        Set<String> previouslyViolated = null;
        for (Violation violation : evaluation.violations()) {
            if (owned.inherited().containsKey(violation.ruleId())) {
                continue;
            }
            String reason = exempt.get(violation.ruleId());
            if (reason != null) {
                honoured.add(new Decision.Exemption(violation.ruleId(), reason));
                continue;
            }
            switch (violation.action()) {
                case DENY -> {
                    if (policy.ratcheting() && subject.oldObject() != null) {
                        if (previouslyViolated == null) {
                            previouslyViolated = violatedBefore(policy, subject, related);
                        }
                        if (previouslyViolated.contains(violation.ruleId())) {
                            ratcheted.add(violation);
                            continue;
                        }
                    }
                    (policy.mode() == Mode.ENFORCE ? denied : wouldDeny).add(violation);
                }
                case WARN -> warnings.add(violation);
                case AUDIT -> audited.add(violation);
                case OFF -> { } // off rules are never evaluated
            }
        }
        boolean judgedInFull = !(denied.isEmpty() && wouldDeny.isEmpty() && ratcheted.isEmpty() && warnings.isEmpty()
                && audited.isEmpty());
        return new Decision(evaluation.objectReference(), policy.mode(), false, denied, wouldDeny, ratcheted,
                warnings, audited, honoured, List.copyOf(owned.inherited().values()),
                judgedInFull ? owned.ownership() : null, notices, evaluation.errors());
    }

    /** Rule ids the previous version of the object (UPDATE) already violated. */
    private Set<String> violatedBefore(Policy policy, Subject subject, RelatedObjects related) {
        Subject previous = new Subject(subject.oldObject(), null, subject.operation(), subject.namespace(),
                subject.userInfo(), subject.dryRun(), subject.origin());
        Set<String> ids = new TreeSet<>();
        for (Violation violation : rules.evaluate(policy.rules(), previous, related).violations()) {
            ids.add(violation.ruleId());
        }
        return ids;
    }

    /**
     * Rule ids the object exempts itself from, mapped to the reason. An exemption without a reason is
     * ignored and said so; an unknown rule id is pointed out.
     */
    private static Map<String, String> exemptions(Map<String, Object> object, RuleSet ruleSet, List<String> notices) {
        Map<String, Object> annotations = ObjectTree.map(object, "metadata", "annotations");
        if (!(annotations.get(EXEMPT_ANNOTATION) instanceof String list) || list.isBlank()) {
            return Map.of();
        }
        String reason = annotations.get(EXEMPT_REASON_ANNOTATION) instanceof String text ? text.strip() : "";
        if (reason.isEmpty()) {
            notices.add("[" + EXEMPT_ANNOTATION + "] ignored: exempting '" + list.strip()
                    + "' needs a non-empty " + EXEMPT_REASON_ANNOTATION + " annotation saying why");
            return Map.of();
        }
        Map<String, String> exempt = new LinkedHashMap<>();
        for (String id : list.split(",")) {
            String ruleId = id.strip();
            if (ruleId.isEmpty()) {
                continue;
            }
            if (!ruleSet.contains(ruleId)) {
                notices.add("[" + EXEMPT_ANNOTATION + "] names unknown rule '" + ruleId + "': check the spelling");
                continue;
            }
            exempt.put(ruleId, reason);
        }
        return exempt;
    }
}
