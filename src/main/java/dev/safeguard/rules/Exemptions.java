package dev.safeguard.rules;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The exemptions an object gives itself with annotations, judged against the policy's {@link ExemptionPolicy}: which
 * hold at a given moment, which have ended, which are ignored and why; and whether the request that adds or changes
 * them comes from someone allowed to grant them.
 */
public final class Exemptions {

    /** Every exemption annotation starts so; a request changing any of them grants (or widens) an exemption. */
    public static final String PREFIX = "safeguard.dev/exempt";
    public static final String EXEMPT = "safeguard.dev/exempt";
    public static final String REASON = "safeguard.dev/exempt-reason";
    public static final String UNTIL = "safeguard.dev/exempt-until";
    /** The rule id of a refused grant in results, metrics and messages. */
    public static final String GRANT = "exemption-grant";

    private Exemptions() {
    }

    /**
     * An exemption from one rule, as the object's annotations give it.
     *
     * @param until   when it ends; null for none
     * @param expired its end has passed: it no longer applies
     */
    public record Exemption(String ruleId, String reason, Instant until, boolean expired) {
    }

    /**
     * A request that adds or changes exemption annotations (not one from a controller copying its owner's).
     *
     * @param user        who asked
     * @param annotations the exemption annotations as the request sets them
     * @param allowed     the policy lets this requester grant exemptions
     * @param refusal     why not, naming who may; null when allowed
     */
    public record Grant(String user, Map<String, String> annotations, boolean allowed, String refusal) {
    }

    /**
     * The exemptions the object gives itself at {@code now}: active ones and ended ones. An exemption without a
     * reason, with an end that is no date, without an end the policy requires, or ending further ahead than the policy
     * allows is ignored and a notice says why; so is a rule id the policy does not know.
     */
    static List<Exemption> read(Map<String, Object> object, RuleSet rules, ExemptionPolicy policy, Instant now,
            List<Notice> notices) {
        Map<String, Object> annotations = ObjectTree.map(object, "metadata", "annotations");
        if (!(annotations.get(EXEMPT) instanceof String list) || list.isBlank()) {
            return List.of();
        }
        String reason = annotations.get(REASON) instanceof String text ? text.strip() : "";
        if (reason.isEmpty()) {
            notices.add(new Notice(EXEMPT, "ignored: exempting '" + list.strip() + "' needs a non-empty " + REASON
                    + " annotation saying why"));
            return List.of();
        }
        Instant until = null;
        if (annotations.get(UNTIL) instanceof String end && !end.isBlank()) {
            try {
                until = PolicyDates.parse(end);
            } catch (DateTimeParseException e) {
                notices.add(new Notice(UNTIL, "ignored, and with it the exemption: " + PolicyDates.expected(UNTIL, end)));
                return List.of();
            }
        }
        if (until == null && policy.requireExpiry()) {
            notices.add(new Notice(UNTIL, "ignored: the policy requires exemptions to end; add " + UNTIL + " (e.g. "
                    + latestAllowed(policy, now) + ")"));
            return List.of();
        }
        if (until != null && policy.maxDays() != null && until.isAfter(now.plus(Duration.ofDays(policy.maxDays())))) {
            notices.add(new Notice(UNTIL, "ignored: " + PolicyDates.format(until) + " is "
                    + Duration.between(now, until).toDays() + " days away; the policy allows exemptions of at most "
                    + policy.maxDays() + " days (" + latestAllowed(policy, now) + " at the latest)"));
            return List.of();
        }
        boolean expired = until != null && !now.isBefore(until);
        List<Exemption> exemptions = new ArrayList<>();
        for (String id : list.split(",")) {
            String ruleId = id.strip();
            if (ruleId.isEmpty()) {
                continue;
            }
            if (!rules.contains(ruleId)) {
                notices.add(new Notice(EXEMPT, "names unknown rule '" + ruleId + "': check the spelling"));
                continue;
            }
            exemptions.add(new Exemption(ruleId, reason, until, expired));
        }
        if (expired && !exemptions.isEmpty()) {
            notices.add(new Notice(UNTIL, "expired on " + PolicyDates.format(until) + ": the exemption from "
                    + String.join(", ", exemptions.stream().map(Exemption::ruleId).toList()) + " no longer applies"));
        }
        return exemptions;
    }

    /** A date {@code maxDays} ahead, rounded down to a day; a year ahead for a policy without a cap. */
    private static String latestAllowed(ExemptionPolicy policy, Instant now) {
        int days = policy.maxDays() == null ? 365 : policy.maxDays();
        return PolicyDates.format(now.plus(Duration.ofDays(days)).truncatedTo(ChronoUnit.DAYS));
    }

    /**
     * The grant a request makes, or null when it makes none: only an admission request that creates an object with
     * exemption annotations, or changes them on an existing one, grants; removing them is not a grant (anyone may
     * give an exemption up). A controller copying its owner's annotations (the deployment controller onto a
     * ReplicaSet) grants nothing itself: the owner's grant was checked when the owner was written.
     */
    static Grant grant(Subject subject, Policy policy) {
        if (subject.origin() != Subject.Origin.ADMISSION) {
            return null;
        }
        Map<String, String> now = exemptionAnnotations(subject.object());
        if (now.isEmpty() || subject.oldObject() != null && now.equals(exemptionAnnotations(subject.oldObject()))) {
            return null;
        }
        String user = subject.userInfo().get("username") instanceof String name ? name : "";
        if (policy.ownership().isController(user)) {
            return null;
        }
        ExemptionPolicy.Grantors grantors = policy.exemptions().grantors();
        if (grantors.allow(subject.userInfo())) {
            return new Grant(user, now, true, null);
        }
        return new Grant(user, now, false, (user.isEmpty() ? "an unnamed user" : "'" + user + "'")
                + " may not grant exemptions (" + String.join(", ", now.keySet()) + "): only " + grantors.describe()
                + " may; ask one of them to set the annotations, or remove them");
    }

    /** The object's annotations starting with {@value #PREFIX}, sorted. */
    private static Map<String, String> exemptionAnnotations(Map<String, Object> object) {
        Map<String, String> found = new TreeMap<>();
        ObjectTree.map(object, "metadata", "annotations").forEach((key, value) -> {
            if (key.startsWith(PREFIX)) {
                found.put(key, Objects.toString(value, ""));
            }
        });
        return found;
    }

    /** The result that refuses a grant: a deny-level finding under the policy's mode, not subject to exemptions. */
    static RuleResult refused(Grant grant, Mode mode) {
        return new RuleResult(GRANT, Category.SECURITY, Action.DENY, RuleResult.Status.FAIL,
                Disposition.of(Action.DENY, mode), grant.refusal(), null, null, null, null, false, null);
    }
}
