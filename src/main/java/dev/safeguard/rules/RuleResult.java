package dev.safeguard.rules;

import java.time.Instant;

/**
 * What one rule made of one object, and what the policy does about it: the one record every consumer renders (the
 * admission response, metrics, logs, and the text, json, sarif and junit reports). A {@link Decision} holds one per
 * rule that applies to the object.
 *
 * @param action      the rule's action in this policy
 * @param disposition what happens: set for a {@link Status#FAIL} and an {@link Status#ERROR} (under the rule's
 *                    onError), null otherwise
 * @param message     what is wrong (failures, and the exempted or inherited violations); null otherwise
 * @param remediation how to fix it, with the rule's variables filled in; null when the rule has none
 * @param error       why the rule could not be evaluated (status ERROR), or why its message could not be rendered
 *                    (a FAIL with a fallback message); null otherwise
 * @param reason      why the object is exempt (EXEMPT: its exempt-reason annotation) or why the rule was skipped
 * @param owner       the verified owner that stands for an INHERITED violation
 * @param ratcheted   a deny-level violation the previous version of the object already had: allowed with a warning
 * @param schedule    a deny the policy dates later (enforceFrom) whose finding is a would-deny until then; else null
 */
public record RuleResult(String ruleId, Category category, Action action, Status status, Disposition disposition,
        String message, String remediation, String error, String reason, Owner owner, boolean ratcheted,
        Schedule schedule) {

    /** Outcome of one rule on one object. */
    public enum Status {
        /** Evaluated, compliant. */
        PASS,
        /** Evaluated, violated. */
        FAIL,
        /** Could not be evaluated (a runtime error or over budget): handled by the rule's onError. */
        ERROR,
        /** Not evaluated: the object's namespace is excluded by the policy. */
        SKIP,
        /** Violated (or failed to evaluate), but the object exempts itself from the rule with a reason. */
        EXEMPT,
        /** Violated exactly as the pod template of the object's verified owner: the owner stands for it. */
        INHERITED;

        public String id() {
            return LowerCaseIds.of(this);
        }
    }

    /**
     * The owner that stands for an inherited violation.
     *
     * @param reference the direct owner, "ReplicaSet shop/web-5d8f7"
     * @param topKind   the kind at the top of the ownership chain (Deployment for a Pod of a Deployment's
     *                  ReplicaSet): what the violation is counted against
     */
    public record Owner(String reference, String topKind) {
    }

    /**
     * When a dated deny starts denying, seen from the moment of the decision.
     *
     * @param enforceFrom the rule's enforceFrom
     * @param decidedAt   the moment the decision was made
     */
    public record Schedule(Instant enforceFrom, Instant decidedAt) {

        /** "denied from 2027-01-15, in 12 days". */
        public String text() {
            return "denied from " + PolicyDates.format(enforceFrom) + ", " + PolicyDates.relative(decidedAt, enforceFrom);
        }
    }

    /** Between a message and its remediation when both are shown as one line. */
    public static final String FIX = ". Fix: ";

    static RuleResult passed(RuleSet.Entry entry) {
        return new RuleResult(entry.id(), entry.rule().category(), entry.action(), Status.PASS, null, null, null, null,
                null, null, false, null);
    }

    static RuleResult failed(RuleSet.Entry entry, String message, String remediation, String error) {
        return new RuleResult(entry.id(), entry.rule().category(), entry.action(), Status.FAIL, null, message,
                remediation, error, null, null, false, null);
    }

    static RuleResult errored(RuleSet.Entry entry, String error) {
        return new RuleResult(entry.id(), entry.rule().category(), entry.action(), Status.ERROR, null, null, null,
                error, null, null, false, null);
    }

    static RuleResult skipped(RuleSet.Entry entry, String reason) {
        return new RuleResult(entry.id(), entry.rule().category(), entry.action(), Status.SKIP, null, null, null, null,
                reason, null, false, null);
    }

    RuleResult disposed(Disposition newDisposition, boolean wasRatcheted) {
        return disposed(newDisposition, wasRatcheted, null);
    }

    RuleResult disposed(Disposition newDisposition, boolean wasRatcheted, Schedule dated) {
        return new RuleResult(ruleId, category, action, status, newDisposition, message, remediation, error, reason,
                owner, wasRatcheted, dated);
    }

    RuleResult exempted(String why) {
        return new RuleResult(ruleId, category, action, Status.EXEMPT, null, message, remediation, error, why, owner,
                false, null);
    }

    RuleResult inheritedFrom(Owner from) {
        return new RuleResult(ruleId, category, action, Status.INHERITED, null, message, remediation, error, reason,
                from, false, null);
    }

    /** A violation, exempted or inherited or not. */
    public boolean violated() {
        return message != null;
    }

    /**
     * What a user reads about this result, without the rule id: the message and its fix ({@code message. Fix:
     * remediation}), prefixed for an inherited violation with its owner; for an error, what failed and what the rule's
     * onError made of it.
     */
    public String text() {
        if (message == null) {
            if (error != null) {
                boolean denies = disposition == Disposition.DENY || disposition == Disposition.WOULD_DENY;
                return "could not be evaluated" + (denies ? " (onError: deny): " : " and was skipped: ") + error;
            }
            return reason != null ? reason : status.id();
        }
        String text = remediation == null ? message : message + FIX + remediation;
        return owner != null ? "(as its owner " + owner.reference() + ") " + text : text;
    }

    /**
     * {@code [rule-id] text}, with what the disposition does not say by itself: {@code (audit mode, would deny)} or
     * {@code (already present before this update, not denied)}. The form of denials, warnings and logs.
     */
    public String describe() {
        if (schedule != null) {
            return line(ruleId, "(would deny; " + schedule.text() + ") " + text());
        }
        return line(ruleId, disposition, (ratcheted ? "(already present before this update, not denied) " : "") + text());
    }

    /** {@code [rule-id] Deployment shop/web: text}: the form of reports that list findings away from the object. */
    public String describe(String objectReference) {
        return line(ruleId, objectReference + ": " + text());
    }

    /** {@code [topic] text}: how every line about a rule (or a notice) starts, wherever it is shown. */
    public static String line(String topic, String text) {
        return "[" + topic + "] " + text;
    }

    /** {@code [topic] text}, marked {@code (audit mode, would deny)} when that is its disposition. */
    public static String line(String topic, Disposition disposition, String text) {
        return line(topic, disposition == Disposition.WOULD_DENY ? "(audit mode, would deny) " + text : text);
    }
}
