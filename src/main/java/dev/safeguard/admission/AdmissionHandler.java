package dev.safeguard.admission;

import dev.safeguard.cluster.InformerRelatedObjects;
import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.metrics.SafeguardMetrics;
import dev.safeguard.rules.Action;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Disposition;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.rules.RuleEngine;
import dev.safeguard.rules.RuleResult;
import dev.safeguard.rules.Exemptions;
import dev.safeguard.rules.Subject;
import dev.safeguard.server.PolicyHolder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Decides one admission request with the current policy and builds the response. Deciding and recording are
 * separate: {@link Outcome#commit()} logs and counts, and {@link ReviewPool} calls it only for the answer that
 * actually went out (a decision that arrives after the deadline answer is not counted a second time).
 */
@ApplicationScoped
public class AdmissionHandler {

    private static final Logger LOG = Logger.getLogger(AdmissionHandler.class);
    private static final Set<String> EVALUATED_OPERATIONS = Set.of("CREATE", "UPDATE");

    private final PolicyHolder policies;
    private final SafeguardMetrics metrics;
    private final RelatedObjects related;
    private final InputLimits limits;
    private final PolicyEngine engine;
    private final boolean allowOnInternalError;

    /** A response and what to log and count once it is the answer sent. */
    public record Outcome(AdmissionReview review, Runnable recording) {
        /** Logs and counts this outcome: call once, for the answer that went out. */
        public void commit() {
            recording.run();
        }
    }

    public AdmissionHandler(PolicyHolder policies, SafeguardMetrics metrics, InformerRelatedObjects related,
            InputLimits limits, SafeguardConfig config, Clock clock) {
        this.engine = new PolicyEngine(new RuleEngine(), clock);
        this.policies = policies;
        this.metrics = metrics;
        this.related = related;
        this.limits = limits;
        this.allowOnInternalError = config.admission().onInternalError() == SafeguardConfig.OnInternalError.ALLOW;
    }

    /** Decides a parsed request; exceptions and errors propagate to the caller, which answers them. */
    public Outcome decide(AdmissionRequest request, long started) {
        String kind = request.objectKind();
        String operation = request.operation();
        if (!EVALUATED_OPERATIONS.contains(operation)) {
            return new Outcome(AdmissionResponses.allow(request.uid(), List.of()),
                    () -> metrics.recordRequest(kind, operation, "allow", request.dryRun(), since(started)));
        }
        Policy policy = policies.current();
        if (!policy.excludes(request.namespace())) {
            Optional<InputLimits.Exceeded> exceeded = limits.check(request.object());
            if (exceeded.isPresent()) {
                return overLimit(request.uid(), kind, operation, request.namespace(), request.name(), request.dryRun(),
                        exceeded.get(), policy.mode(), started);
            }
        }
        Subject subject = new Subject(request.object(), request.oldObject(), operation, request.namespace(),
                request.userInfo(), request.dryRun());
        Decision decision = engine.decide(policy, subject, related);
        AdmissionReview review = AdmissionResponses.of(request.uid(), decision);
        return new Outcome(review, () -> {
            log(request, decision);
            metrics.recordDecision(decision, kind, request.namespace());
            metrics.recordRequest(kind, operation, SafeguardMetrics.decisionLabel(decision), request.dryRun(),
                    since(started));
        });
    }

    /**
     * A review whose body broke a structural input limit while it was scanned: nothing was parsed, and the
     * scan's request fields are all there is.
     */
    Outcome overLimit(ReviewScan.Result scan, long started) {
        Policy policy = policies.current();
        if (!scan.operationEvaluated() || policy.excludes(scan.namespace())) {
            return new Outcome(AdmissionResponses.allow(scan.uid(), List.of()),
                    () -> metrics.recordRequest(scan.kind(), scan.operation(), "allow", scan.dryRun(), since(started)));
        }
        return overLimit(scan.uid(), scan.kind(), scan.operation(), scan.namespace(), scan.name(), scan.dryRun(),
                scan.exceeded(), policy.mode(), started);
    }

    private Outcome overLimit(String uid, String kind, String operation, String namespace, String name,
            boolean dryRun, InputLimits.Exceeded exceeded, Mode mode, long started) {
        String reference = reference(kind, namespace, name);
        // Too large to judge is judged like a deny-level violation: denied, or in audit mode a would-deny.
        Disposition disposition = Disposition.of(Action.DENY, mode);
        boolean enforce = disposition == Disposition.DENY;
        AdmissionReview review = enforce
                ? AdmissionResponses.inputLimitDenial(uid, reference, exceeded.message())
                : AdmissionResponses.allow(uid, List.of(RuleResult.line("input-limits", disposition,
                        Messages.cap(reference, 120) + " is too large to judge: " + exceeded.message())));
        return new Outcome(review, () -> {
            LOG.infof("%s (input limit %s) %s %s: %s", enforce ? "DENY" : "WOULD DENY (audit mode)", exceeded.limit(),
                    operation, Messages.cap(reference, Messages.MAX_LOG_VALUE),
                    Messages.cap(exceeded.message(), Messages.MAX_LOG_VALUE));
            metrics.recordInputLimit(exceeded.limit());
            metrics.recordRequest(kind, operation, enforce ? "deny" : "would_deny", dryRun, since(started));
        });
    }

    /**
     * The answer when the rules gave none: per safeguard.admission.on-internal-error, counted by reason
     * (deadline, overloaded, exception, error) and logged with {@code what} happened.
     */
    Outcome internalError(String uid, String kind, String operation, String namespace, String name, boolean dryRun,
            String reason, String what, Throwable error, long started) {
        AdmissionReview review = allowOnInternalError
                ? AdmissionResponses.allow(uid, List.of("[kube-safeguard] " + Messages.cap(what, 160)
                        + ": request allowed (on-internal-error=allow)"))
                : AdmissionResponses.internalErrorDenial(uid, what);
        return new Outcome(review, () -> {
            String message = String.format("review %s of %s %s not decided by the rules: %s; %s", Messages.cap(uid, 64),
                    operation == null ? "?" : Messages.cap(operation, 16),
                    Messages.cap(reference(kind, namespace, name), Messages.MAX_LOG_VALUE),
                    Messages.cap(what, Messages.MAX_LOG_VALUE),
                    allowOnInternalError ? "allowed" : "denied");
            if (error != null && !(error instanceof VirtualMachineError)) {
                LOG.error(message, error);
            } else {
                LOG.error(message);
            }
            metrics.recordInternalError(reason);
            metrics.recordRuleError("internal");
            metrics.recordRequest(kind, operation, allowOnInternalError ? "allow" : "deny", dryRun, since(started));
        });
    }

    private static String reference(String kind, String namespace, String name) {
        String object = name == null ? "<unnamed>" : name;
        return (kind == null ? "object" : kind) + " " + (namespace == null ? object : namespace + "/" + object);
    }

    private static void log(AdmissionRequest request, Decision decision) {
        String reference = Messages.cap(decision.objectReference(), Messages.MAX_LOG_VALUE);
        if (decision.excluded()) {
            LOG.debugf("%s %s: namespace excluded by policy", request.operation(), reference);
            return;
        }
        String dryRun = request.dryRun() ? " (dry-run)" : "";
        if (!decision.denied().isEmpty()) {
            LOG.infof("DENY %s %s%s: %s", request.operation(), reference, dryRun, ids(decision.denied()));
        }
        List<RuleResult> wouldDeny = decision.disposed(Disposition.WOULD_DENY);
        if (!wouldDeny.isEmpty()) {
            LOG.infof("WOULD DENY (%s) %s %s%s: %s", decision.mode() == Mode.AUDIT ? "audit mode" : "not enforced yet",
                    request.operation(), reference, dryRun, ids(wouldDeny));
        }
        for (RuleResult result : decision.disposed(Disposition.AUDIT)) {
            LOG.infof("AUDIT %s %s%s: %s", request.operation(), reference, dryRun,
                    Messages.cap(result.describe(), Messages.MAX_LOG_VALUE));
        }
        List<RuleResult> inherited = decision.with(RuleResult.Status.INHERITED);
        if (!inherited.isEmpty()) {
            LOG.debugf("INHERITED %s %s%s from %s: %s", request.operation(), reference, dryRun,
                    Messages.cap(inherited.get(0).owner().reference(), Messages.MAX_LOG_VALUE), ids(inherited));
        }
        if (decision.ownership() != null) {
            LOG.infof("OWNERSHIP NOT TRUSTED %s %s%s (user %s): %s", request.operation(), reference, dryRun,
                    Messages.cap(String.valueOf(request.userInfo().get("username")), 256),
                    Messages.cap(decision.ownership(), Messages.MAX_LOG_VALUE));
        }
        Exemptions.Grant grant = decision.grant();
        if (grant != null) {
            // Who exempted what, for the record: the annotations as this request sets them.
            LOG.infof("EXEMPTION %s %s %s%s by %s: %s", grant.allowed() ? "GRANTED" : "REFUSED", request.operation(),
                    reference, dryRun, Messages.cap(grant.user(), 256),
                    Messages.cap(grant.annotations().toString(), Messages.MAX_LOG_VALUE));
        }
        for (RuleResult exempt : decision.with(RuleResult.Status.EXEMPT)) {
            LOG.infof("EXEMPT %s %s from [%s]: %s", request.operation(), reference, exempt.ruleId(),
                    Messages.cap(exempt.reason(), Messages.MAX_LOG_VALUE));
        }
        for (RuleResult failed : decision.errors()) {
            // What the error made of the request: its onError's disposition (or exempt, or a failure's own).
            LOG.warnf("RULE ERROR %s %s%s: [%s] %s -> %s", request.operation(), reference, dryRun, failed.ruleId(),
                    Messages.cap(failed.error(), Messages.MAX_LOG_VALUE),
                    failed.disposition() == null ? failed.status().id() : failed.disposition().id());
        }
    }

    private static String ids(List<RuleResult> results) {
        return Messages.join(results.stream().map(RuleResult::ruleId).toList(), Messages.MAX_LOGGED_IDS);
    }

    static Duration since(long started) {
        return Duration.ofNanos(System.nanoTime() - started);
    }
}
