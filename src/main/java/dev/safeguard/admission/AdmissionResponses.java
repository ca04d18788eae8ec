package dev.safeguard.admission;

import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Disposition;
import dev.safeguard.rules.Exemptions;
import dev.safeguard.rules.RuleResult;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns a {@link Decision} into the AdmissionReview response the API server expects. */
final class AdmissionResponses {

    /**
     * The API server may truncate a single warning over 256 characters and drops warnings past a total
     * budget; we shorten ourselves so the rule id and the start of the fix survive.
     */
    static final int MAX_WARNING_LENGTH = 256;
    static final int MAX_WARNINGS = 20;
    /** Audit annotation values are kept short: the full message is in the webhook's log. */
    static final int MAX_AUDIT_VALUE_LENGTH = 1024;

    private AdmissionResponses() {
    }

    static AdmissionReview allow(String uid, List<String> warnings) {
        return review(new AdmissionResponseBuilder().withUid(uid).withAllowed(true)
                .withWarnings(warnings.isEmpty() ? null : shorten(warnings)).build());
    }

    /**
     * Used only when safeguard.admission.on-internal-error=deny and the rules gave no answer;
     * {@code what} says why ("not decided within the 4s deadline", "IllegalStateException").
     */
    static AdmissionReview internalErrorDenial(String uid, String what) {
        return review(new AdmissionResponseBuilder().withUid(uid).withAllowed(false)
                .withStatus(new StatusBuilder().withCode(500).withReason("InternalError")
                        .withMessage("kube-safeguard could not decide this request (" + Messages.cap(what, 256)
                                + "); denied because safeguard.admission.on-internal-error=deny")
                        .build())
                .build());
    }

    /**
     * An object over an input limit, in enforce mode: denied without running the rules, saying which limit
     * and where. {@code reference} is "Deployment shop/web".
     */
    static AdmissionReview inputLimitDenial(String uid, String reference, String limitMessage) {
        return review(new AdmissionResponseBuilder().withUid(uid).withAllowed(false)
                .withStatus(new StatusBuilder().withCode(403).withReason("Forbidden")
                        .withMessage(Messages.cap(reference, 300) + " is too large for kube-safeguard to judge: "
                                + Messages.cap(limitMessage, 1_024)
                                + ". Split it up, or raise the limit in the webhook's configuration.")
                        .build())
                .build());
    }

    static AdmissionReview of(String uid, Decision decision) {
        AdmissionResponseBuilder response = new AdmissionResponseBuilder().withUid(uid).withAllowed(decision.allowed());
        if (!decision.allowed()) {
            response.withStatus(new StatusBuilder()
                    .withCode(403)
                    .withReason("Forbidden")
                    .withMessage(denialMessage(decision))
                    .build());
        }
        List<String> warnings = decision.warningLines();
        if (!warnings.isEmpty()) {
            response.withWarnings(shorten(warnings));
        }
        List<RuleResult> audited = decision.disposed(Disposition.AUDIT);
        if (!audited.isEmpty()) {
            Map<String, String> annotations = new LinkedHashMap<>();
            for (RuleResult result : audited) {
                // The API server prefixes keys with the webhook name: validate.safeguard.dev/<rule-id>.
                annotations.put(result.ruleId(), truncate(result.text(), MAX_AUDIT_VALUE_LENGTH));
            }
            response.withAuditAnnotations(annotations);
        }
        return review(response.build());
    }

    /**
     * "Deployment shop/web violates 2 kube-safeguard rules:" followed by one "[rule-id] message. Fix: ..." line per
     * denied rule: kubectl prints this after "admission webhook ... denied the request:". A rule denying because it
     * could not be evaluated (its onError) is not a violation: then the object "is denied by" the rules.
     */
    static String denialMessage(Decision decision) {
        List<RuleResult> denied = decision.denied();
        boolean errors = denied.stream().anyMatch(result -> result.status() == RuleResult.Status.ERROR);
        StringBuilder message = new StringBuilder(Messages.cap(decision.objectReference(), 300))
                .append(errors ? " is denied by " : " violates ").append(denied.size())
                .append(denied.size() == 1 ? " kube-safeguard rule:" : " kube-safeguard rules:");
        List<String> lines = new ArrayList<>();
        for (RuleResult result : denied) {
            lines.add(result.describe());
        }
        decision.ownershipLine().ifPresent(lines::add);
        // Why an exemption the object carries did not apply (ended, too long, no reason): the denial says it too.
        decision.notices().stream().filter(notice -> notice.topic().startsWith(Exemptions.PREFIX))
                .forEach(notice -> lines.add(notice.line()));
        // Each line capped; the whole message within MAX_STATUS_MESSAGE, ending with "... and N more".
        int budget = Messages.MAX_STATUS_MESSAGE - message.length() - 80;
        for (int i = 0; i < lines.size(); i++) {
            String line = Messages.cap(lines.get(i), Messages.MAX_DENIAL_LINE);
            if (line.length() + 1 > budget) {
                message.append("\n... and ").append(lines.size() - i)
                        .append(" more (the webhook log and `safeguard check` list them all)");
                break;
            }
            message.append('\n').append(line);
            budget -= line.length() + 1;
        }
        return message.toString();
    }

    private static List<String> shorten(List<String> warnings) {
        List<String> shortened = new ArrayList<>();
        for (String warning : warnings) {
            if (shortened.size() == MAX_WARNINGS - 1 && warnings.size() > MAX_WARNINGS) {
                shortened.add("... and " + (warnings.size() - shortened.size())
                        + " more kube-safeguard warnings (see `safeguard check` or the webhook log)");
                break;
            }
            shortened.add(truncate(warning, MAX_WARNING_LENGTH));
        }
        return shortened;
    }

    private static String truncate(String text, int max) {
        // ASCII "...": warnings travel as HTTP Warning headers, which clients may decode as ISO-8859-1.
        if (text.length() <= max) {
            return text;
        }
        int cut = max - 3;
        if (Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--; // never split a surrogate pair
        }
        return text.substring(0, cut) + "...";
    }

    private static AdmissionReview review(AdmissionResponse response) {
        return new AdmissionReviewBuilder()
                .withApiVersion(AdmissionReviewReader.API_VERSION)
                .withKind(AdmissionReviewReader.KIND)
                .withResponse(response)
                .build();
    }
}
