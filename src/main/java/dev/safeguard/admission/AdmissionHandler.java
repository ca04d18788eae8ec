package dev.safeguard.admission;

import dev.safeguard.cluster.InformerRelatedObjects;
import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.metrics.SafeguardMetrics;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.rules.Subject;
import dev.safeguard.rules.Disposition;
import dev.safeguard.rules.RuleResult;
import dev.safeguard.server.PolicyHolder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/** Decides one admission request with the current policy, logs and counts it, and builds the response. */
@ApplicationScoped
public class AdmissionHandler {

    private static final Logger LOG = Logger.getLogger(AdmissionHandler.class);
    private static final Set<String> EVALUATED_OPERATIONS = Set.of("CREATE", "UPDATE");

    private final PolicyHolder policies;
    private final SafeguardMetrics metrics;
    private final RelatedObjects related;
    private final PolicyEngine engine = new PolicyEngine();
    private final boolean allowOnInternalError;

    public AdmissionHandler(PolicyHolder policies, SafeguardMetrics metrics, InformerRelatedObjects related,
            SafeguardConfig config) {
        this.policies = policies;
        this.metrics = metrics;
        this.related = related;
        this.allowOnInternalError = config.admission().onInternalError() == SafeguardConfig.OnInternalError.ALLOW;
    }

    public AdmissionReview handle(AdmissionRequest request) {
        long started = System.nanoTime();
        String kind = request.objectKind();
        String operation = request.operation();
        if (!EVALUATED_OPERATIONS.contains(operation)) {
            metrics.recordRequest(kind, operation, "allow", request.dryRun(), since(started));
            return AdmissionResponses.allow(request.uid(), List.of());
        }
        try {
            Policy policy = policies.current();
            Subject subject = new Subject(request.object(), request.oldObject(), operation, request.namespace(),
                    request.userInfo(), request.dryRun());
            Decision decision = engine.decide(policy, subject, related);
            log(request, decision);
            metrics.recordDecision(decision, kind, request.namespace());
            metrics.recordRequest(kind, operation, SafeguardMetrics.decisionLabel(decision), request.dryRun(),
                    since(started));
            return AdmissionResponses.of(request.uid(), decision);
        } catch (RuntimeException e) {
            // Never leave the API server without an answer: a bug here must not turn into a 500 whose
            // meaning depends on failurePolicy. The configured choice is made explicit and visible.
            LOG.errorf(e, "internal error deciding %s %s/%s (uid %s); %s", kind, request.namespace(), request.name(),
                    request.uid(), allowOnInternalError ? "allowed" : "denied");
            metrics.recordRuleError("internal");
            metrics.recordRequest(kind, operation, allowOnInternalError ? "allow" : "deny", request.dryRun(),
                    since(started));
            return allowOnInternalError
                    ? AdmissionResponses.allow(request.uid(), List.of("[kube-safeguard] internal error, request allowed: "
                            + e.getClass().getSimpleName()))
                    : AdmissionResponses.internalErrorDenial(request.uid(), e);
        }
    }

    private static void log(AdmissionRequest request, Decision decision) {
        if (decision.excluded()) {
            LOG.debugf("%s %s: namespace excluded by policy", request.operation(), decision.objectReference());
            return;
        }
        String dryRun = request.dryRun() ? " (dry-run)" : "";
        if (!decision.denied().isEmpty()) {
            LOG.infof("DENY %s %s%s: %s", request.operation(), decision.objectReference(), dryRun, ids(decision.denied()));
        }
        List<RuleResult> wouldDeny = decision.disposed(Disposition.WOULD_DENY);
        if (!wouldDeny.isEmpty()) {
            LOG.infof("WOULD DENY (audit mode) %s %s%s: %s", request.operation(), decision.objectReference(), dryRun,
                    ids(wouldDeny));
        }
        for (RuleResult result : decision.results()) {
            switch (result.status()) {
                case FAIL -> {
                    if (result.disposition() == Disposition.AUDIT) {
                        LOG.infof("AUDIT %s %s%s: %s", request.operation(), decision.objectReference(), dryRun,
                                result.describe());
                    }
                }
                case INHERITED -> LOG.debugf("INHERITED %s %s%s from %s: %s", request.operation(),
                        decision.objectReference(), dryRun, result.owner().reference(), result.ruleId());
                case EXEMPT -> LOG.infof("EXEMPT %s %s from [%s]: %s", request.operation(), decision.objectReference(),
                        result.ruleId(), result.reason());
                default -> { }
            }
            if (result.error() != null) {
                // What the error made of the request: its onError's disposition (or exempt, or a failure's own).
                LOG.warnf("RULE ERROR %s %s%s: [%s] %s -> %s", request.operation(), decision.objectReference(), dryRun,
                        result.ruleId(), result.error(),
                        result.disposition() == null ? result.status().id() : result.disposition().id());
            }
        }
        if (decision.ownership() != null) {
            LOG.infof("OWNERSHIP NOT TRUSTED %s %s%s (user %s): %s", request.operation(), decision.objectReference(),
                    dryRun, request.userInfo().get("username"), decision.ownership());
        }
    }

    private static String ids(List<RuleResult> results) {
        return results.stream().map(RuleResult::ruleId).collect(Collectors.joining(", "));
    }

    private static Duration since(long started) {
        return Duration.ofNanos(System.nanoTime() - started);
    }
}
