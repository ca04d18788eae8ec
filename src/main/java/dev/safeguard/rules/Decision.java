package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.List;

/**
 * What a policy makes of one object, sorted by what happens to each finding. The admission webhook and
 * the CLI turn the same Decision into a response or a report.
 *
 * @param denied     deny-level violations that reject the request (enforce mode)
 * @param wouldDeny  deny-level violations that audit mode lets through
 * @param ratcheted  deny-level violations the previous version already had (UPDATE): allowed, warned
 * @param warnings   warn-level violations
 * @param audited    audit-level violations: recorded, not shown to the user
 * @param exemptions violations dropped because the object exempts itself from the rule, with its reason
 * @param inherited  violations a verified owner's pod template already has: the owner stands for them, so
 *                   they are neither denied, warned about nor counted as violations again
 * @param ownership  why the controller this object names was not trusted, when that made a difference to
 *                   the decision (a violation was judged in full); else null
 * @param notices    things the user should know that are not violations (an exemption without a reason)
 * @param errors     rules that failed to evaluate on this object (they count as passed)
 */
public record Decision(String objectReference, Mode mode, boolean excluded, List<Violation> denied,
        List<Violation> wouldDeny, List<Violation> ratcheted, List<Violation> warnings, List<Violation> audited,
        List<Exemption> exemptions, List<Inherited> inherited, String ownership, List<String> notices,
        List<RuleError> errors) {

    /** A rule an object was let off, and the reason its owner gave. */
    public record Exemption(String ruleId, String reason) {
    }

    /**
     * A violation explained by the owner's template.
     *
     * @param owner     the direct owner, "ReplicaSet shop/web-5d8f7"
     * @param ownerKind the kind at the top of the ownership chain (Deployment for a Pod of a Deployment's
     *                  ReplicaSet): what the violation is counted against
     */
    public record Inherited(Violation violation, String owner, String ownerKind) {
    }

    public Decision {
        denied = List.copyOf(denied);
        wouldDeny = List.copyOf(wouldDeny);
        ratcheted = List.copyOf(ratcheted);
        warnings = List.copyOf(warnings);
        audited = List.copyOf(audited);
        exemptions = List.copyOf(exemptions);
        inherited = List.copyOf(inherited);
        notices = List.copyOf(notices);
        errors = List.copyOf(errors);
    }

    static Decision excluded(String objectReference, Mode mode) {
        return new Decision(objectReference, mode, true, List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), null, List.of(), List.of());
    }

    public boolean allowed() {
        return denied.isEmpty();
    }

    /** Every violation the policy judged on this object, whatever happens to it; inherited ones are not among them. */
    public List<Violation> allViolations() {
        List<Violation> all = new ArrayList<>(denied);
        all.addAll(wouldDeny);
        all.addAll(ratcheted);
        all.addAll(warnings);
        all.addAll(audited);
        return all;
    }

    /**
     * The lines a user sees as warnings, each starting with the rule id: would-denies in audit mode,
     * ratcheted old violations, warn-level violations, notices and rule errors.
     */
    public List<String> warningLines() {
        List<String> lines = new ArrayList<>();
        for (Violation violation : wouldDeny) {
            lines.add("[" + violation.ruleId() + "] (audit mode, would deny) " + violation.message());
        }
        for (Violation violation : ratcheted) {
            lines.add("[" + violation.ruleId() + "] (already present before this update, not denied) "
                    + violation.message());
        }
        for (Violation violation : warnings) {
            lines.add(violation.describe());
        }
        if (ownership != null && denied.isEmpty()) { // a denial already says it
            lines.add("[ownership] " + ownership);
        }
        lines.addAll(notices);
        for (RuleError error : errors) {
            lines.add("[" + error.ruleId() + "] could not be evaluated and was skipped: " + error.message());
        }
        return lines;
    }
}
