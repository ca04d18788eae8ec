package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides which violations of a controller-made object (a Pod of a ReplicaSet, a ReplicaSet of a Deployment,
 * a Job of a CronJob) its owner already stands for. The owner exists, so whatever its pod template carries
 * was admitted one way or another (judged and allowed, exempted, ratcheted, in audit mode, or before the
 * webhook was installed): denying the copies its controller makes would only stall the controller.
 *
 * <p>Nothing is taken on the object's word. The ownerReference counts only when (1) the request comes from
 * the controller that creates such objects ({@link Ownership}), (2) the owner it names exists with that uid,
 * and (3) what the violation points at is the same in the owner's template. For (3) the engine does not
 * need to know what a rule reads: it judges the object made from the owner's template, then each part in
 * which the object differs from it (a container, a volume, a pod-level field) applied on its own. A part
 * that makes the rule's verdict or message differ, or a container or volume the template lacks that breaks
 * the rule by itself, is the object's own doing and is judged in full. What defaulting and mutating admission
 * add (a service-account token volume and its mounts, tolerations, the node name) changes no verdict, so it
 * does not break the match; labels and annotations are not parts (a controller adds pod-template-hash).
 */
final class OwnerVerdicts {

    /** Ownership chains longer than this are not followed further (Pod, ReplicaSet, Deployment is 2). */
    private static final int MAX_CHAIN = 4;

    /**
     * What the owner explains.
     *
     * @param inherited rule id -> the owner that stands for it, for the violations the owner stands for
     * @param ownership why the named controller was not trusted, or null
     * @param notes     per rule, why a violation was not inherited although the owner was trusted
     */
    record Result(Map<String, RuleResult.Owner> inherited, String ownership, List<Notice> notes) {
        static final Result NONE = new Result(Map.of(), null, List.of());
    }

    private final RuleEngine engine;

    OwnerVerdicts(RuleEngine engine) {
        this.engine = engine;
    }

    Result judge(Policy policy, Subject subject, Workload workload, List<RuleResult> violations, RelatedObjects related) {
        ControllerReference reference = ControllerReference.of(subject.object());
        if (violations.isEmpty() || reference == null || !policy.ownership().inherits(workload.kind(), reference.kind())) {
            return Result.NONE;
        }
        String claimed = reference.describe() + " is named as its controller but ";
        if (subject.origin() == Subject.Origin.ADMISSION) {
            String distrust = policy.ownership().distrust(workload.kind(), reference, subject.userInfo());
            if (distrust != null) {
                return untrusted(claimed + "not trusted: " + distrust);
            }
        }
        Map<String, Object> owner = related.get(reference.kind(), subject.namespace(), reference.name());
        if (owner == null) {
            return untrusted(claimed + "was not found" + (related.available() ? "" : " (no owner lookups here)"));
        }
        String ownerUid = ObjectTree.string(owner, "metadata", "uid");
        // The API server refuses an ownerReference without a uid; a manifest may leave it out.
        boolean uidRequired = subject.origin() == Subject.Origin.ADMISSION;
        if ((reference.uid() != null || uidRequired) && !Objects.equals(reference.uid(), ownerUid)) {
            return untrusted(claimed + "the one that exists has uid " + ownerUid + ", not " + reference.uid());
        }
        Map<String, Object> ownerTemplate = PodTemplate.at(owner, policy.ownership().templatePath(reference.kind()));
        Map<String, Object> childTemplate = PodTemplate.of(subject.object(), workload.kind());
        if (ownerTemplate == null || childTemplate == null) {
            return untrusted(claimed + "it has no pod template at " + policy.ownership().templatePath(reference.kind()));
        }
        List<String> chain = chain(policy.ownership(), reference, owner, subject.namespace(), related);
        String ownerReference = reference.kind() + " " + (subject.namespace() == null ? "" : subject.namespace() + "/")
                + reference.name();
        Subject fromTemplate = subject.withObject(PodTemplate.replace(subject.object(), workload.kind(), ownerTemplate));
        List<PodTemplate.Difference> differences = PodTemplate.differences(ownerTemplate, childTemplate);

        Map<String, RuleResult.Owner> inherited = new LinkedHashMap<>();
        List<Notice> notes = new ArrayList<>();
        RuleResult.Owner standsFor = new RuleResult.Owner(ownerReference, chain.get(chain.size() - 1));
        for (RuleResult violation : violations) {
            RuleSet.Entry entry = policy.rules().find(violation.ruleId()).orElseThrow();
            if (chain.stream().noneMatch(kind -> entry.rule().matches(kind))) {
                continue; // the owners were never judged by this rule: nothing to inherit
            }
            RuleResult expected = engine.evaluateOne(entry, fromTemplate, related);
            if (expected.status() != RuleResult.Status.FAIL) {
                notes.add(new Notice(violation.ruleId(), "judged in full: " + ownerReference
                        + "'s pod template does not have this violation"));
                continue;
            }
            List<String> own = ownDoing(entry, subject, workload.kind(), ownerTemplate, differences, expected, related);
            if (own.isEmpty()) {
                inherited.put(violation.ruleId(), standsFor);
            } else {
                notes.add(new Notice(violation.ruleId(), "judged in full: " + String.join(", ", own)
                        + (own.size() == 1 ? " is" : " are") + " not as in " + ownerReference + "'s pod template"));
            }
        }
        return new Result(inherited, null, notes);
    }

    /** The differences from the owner's template that change this rule's verdict: the object's own doing. */
    private List<String> ownDoing(RuleSet.Entry entry, Subject subject, String kind, Map<String, Object> ownerTemplate,
            List<PodTemplate.Difference> differences, RuleResult expected, RelatedObjects related) {
        List<String> own = new ArrayList<>();
        for (PodTemplate.Difference difference : differences) {
            RuleResult applied = engine.evaluateOne(entry,
                    subject.withObject(PodTemplate.replace(subject.object(), kind, difference.apply().apply(ownerTemplate))),
                    related);
            boolean changes = applied.status() == RuleResult.Status.ERROR
                    || (applied.violated() && !Objects.equals(applied.text(), expected.text()));
            if (!changes && difference.isolate() != null) {
                // An added container or volume on its own: does it break the rule where the template without
                // any does not (or differently)? Catches an offender a rule's message does not name.
                RuleResult alone = engine.evaluateOne(entry, subject.withObject(
                        PodTemplate.replace(subject.object(), kind, difference.isolate().apply(ownerTemplate))), related);
                RuleResult none = engine.evaluateOne(entry, subject.withObject(
                        PodTemplate.replace(subject.object(), kind, difference.baseline().apply(ownerTemplate))), related);
                changes = alone.status() == RuleResult.Status.ERROR || (alone.violated()
                        && (!none.violated() || !Objects.equals(alone.text(), none.text())));
            }
            if (changes) {
                own.add(difference.description());
            }
        }
        return own;
    }

    /**
     * The kinds up the ownership chain, nearest first: ReplicaSet, Deployment. Upper links are followed as far
     * as the owners can be found; their own admission already verified them.
     */
    private static List<String> chain(Ownership ownership, ControllerReference first, Map<String, Object> owner,
            String namespace, RelatedObjects related) {
        List<String> kinds = new ArrayList<>(List.of(first.kind()));
        Map<String, Object> current = owner;
        String currentKind = first.kind();
        while (current != null && kinds.size() < MAX_CHAIN) {
            ControllerReference next = ControllerReference.of(current);
            if (next == null || !ownership.inherits(currentKind, next.kind())) {
                break;
            }
            kinds.add(next.kind());
            currentKind = next.kind();
            // Looked up only when it can have an owner of its own (a Deployment or a CronJob cannot): every
            // Pod of a Deployment would otherwise ask for its Deployment, on the admission path.
            current = ownership.mayHaveOwner(next.kind()) ? related.get(next.kind(), namespace, next.name()) : null;
        }
        return kinds;
    }

    private static Result untrusted(String why) {
        return new Result(Map.of(), why + "; judged in full", List.of());
    }
}
