package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a policy makes of one object: one {@link RuleResult} per rule that applies to it, each with its status and
 * (for findings) what happens to it. The admission webhook and the CLI render the same Decision into a response or
 * a report.
 *
 * @param excluded  the object's namespace is excluded by the policy: every result is a SKIP
 * @param results   one per rule that applies (on, and matching the kind), in the policy's rule order
 * @param ownership why the controller this object names was not trusted, when that made a difference to the
 *                  decision (a violation was judged in full); else null
 * @param notices   things the user should know that are not rule verdicts (an exemption without a reason, a
 *                  violation judged in full although the owner was trusted, an exemption that ended)
 * @param exemptions the exemptions the object gives itself that the policy accepts, those that ended included, less
 *                  those its verified owner stands for (copied from the owner, counted there)
 * @param grant     the exemption annotations the request adds or changes, and whether its requester may; else null
 * @param team      the team of the object's namespace (the policy's teamLabel), "" when none
 */
public record Decision(String objectReference, Mode mode, boolean excluded, List<RuleResult> results,
        String ownership, List<Notice> notices, List<Exemptions.Exemption> exemptions, Exemptions.Grant grant,
        String team) {

    public Decision {
        results = List.copyOf(results);
        notices = List.copyOf(notices);
        exemptions = exemptions == null ? List.of() : List.copyOf(exemptions);
        team = team == null ? "" : team;
    }

    public Decision(String objectReference, Mode mode, boolean excluded, List<RuleResult> results, String ownership,
            List<Notice> notices) {
        this(objectReference, mode, excluded, results, ownership, notices, List.of(), null, "");
    }

    /** True unless a result is a denial. */
    public boolean allowed() {
        return results.stream().noneMatch(result -> result.disposition() == Disposition.DENY);
    }

    /** The results with this status. */
    public List<RuleResult> with(RuleResult.Status status) {
        return results.stream().filter(result -> result.status() == status).toList();
    }

    /** The findings (violations and errors) with this disposition. */
    public List<RuleResult> disposed(Disposition disposition) {
        return results.stream().filter(result -> result.disposition() == disposition).toList();
    }

    /** The results that reject the request. */
    public List<RuleResult> denied() {
        return disposed(Disposition.DENY);
    }

    /** Every violation the policy judged on this object, whatever happens to it: exempted and inherited ones are not. */
    public List<RuleResult> violations() {
        return with(RuleResult.Status.FAIL);
    }

    /** The results of rules that failed to evaluate (or to render their message), whatever became of them. */
    public List<RuleResult> errors() {
        return results.stream().filter(result -> result.error() != null).toList();
    }

    /** The result of one rule, if it applies to the object. */
    public Optional<RuleResult> result(String ruleId) {
        return results.stream().filter(result -> result.ruleId().equals(ruleId)).findFirst();
    }

    /** The notices as lines, {@code [topic] text}. */
    public List<String> noticeLines() {
        return notices.stream().map(Notice::line).toList();
    }

    /** {@code [ownership] why}, when the owner the object names was not trusted and that mattered. */
    public Optional<String> ownershipLine() {
        return Optional.ofNullable(ownership).map(why -> RuleResult.line("ownership", why));
    }

    /**
     * The lines a user sees as warnings, each starting with the rule id: would-denies in audit mode, ratcheted old
     * violations, warn-level violations, why an owner was not trusted (unless a denial says it), notices, and rule
     * errors whose onError warns.
     */
    public List<String> warningLines() {
        List<String> lines = new ArrayList<>();
        for (RuleResult result : results) {
            if (result.disposition() == Disposition.WOULD_DENY) {
                lines.add(result.describe());
            }
        }
        for (RuleResult result : results) {
            if (result.ratcheted()) {
                lines.add(result.describe());
            }
        }
        for (RuleResult result : results) {
            if (result.disposition() == Disposition.WARN && !result.ratcheted()
                    && result.status() == RuleResult.Status.FAIL) {
                lines.add(result.describe());
            }
        }
        if (allowed()) { // a denial already says it
            ownershipLine().ifPresent(lines::add);
        }
        lines.addAll(noticeLines());
        for (RuleResult result : results) {
            if (result.disposition() == Disposition.WARN && result.status() == RuleResult.Status.ERROR) {
                lines.add(result.describe());
            }
        }
        return lines;
    }
}
