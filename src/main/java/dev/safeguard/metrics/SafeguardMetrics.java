package dev.safeguard.metrics;

import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.RuleError;
import dev.safeguard.rules.Violation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Every safeguard_* metric, in one place so names and labels stay consistent with the dashboard, the
 * alerts and docs/metrics.md.
 */
@ApplicationScoped
public class SafeguardMetrics {

    /** Label value when the namespace label is switched off or the object has no namespace. */
    static final String NO_NAMESPACE = "";

    private final MeterRegistry registry;
    private final boolean namespaceLabel;
    private final Timer.Builder durationTimer;
    private final AtomicReference<PolicyInfo> policyInfo = new AtomicReference<>();

    private record PolicyInfo(String version, String mode) {
    }

    public SafeguardMetrics(MeterRegistry registry,
            @ConfigProperty(name = "safeguard.metrics.namespace-label", defaultValue = "true") boolean namespaceLabel) {
        this.registry = registry;
        this.namespaceLabel = namespaceLabel;
        this.durationTimer = Timer.builder("safeguard.admission.duration")
                .description("Time to answer one AdmissionReview, from parsed body to response")
                .serviceLevelObjectives(buckets())
                .minimumExpectedValue(Duration.ofNanos(500_000))
                .maximumExpectedValue(Duration.ofSeconds(10));
    }

    private static Duration[] buckets() {
        long[] micros = {500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
                1_000_000, 2_500_000, 5_000_000, 10_000_000};
        Duration[] buckets = new Duration[micros.length];
        for (int i = 0; i < micros.length; i++) {
            buckets[i] = Duration.ofNanos(micros[i] * 1_000);
        }
        return buckets;
    }

    /** The decision label of safeguard_admission_requests_total. */
    public static String decisionLabel(Decision decision) {
        if (!decision.allowed()) {
            return "deny";
        }
        if (!decision.wouldDeny().isEmpty()) {
            return "would_deny";
        }
        return decision.warningLines().isEmpty() ? "allow" : "warn";
    }

    public void recordRequest(String kind, String operation, String decision, boolean dryRun, Duration took) {
        Counter.builder("safeguard.admission.requests")
                .description("AdmissionReviews answered, by object kind, operation and decision")
                .tag("kind", label(kind)).tag("operation", label(operation)).tag("decision", decision)
                .tag("dry_run", Boolean.toString(dryRun))
                .register(registry).increment();
        durationTimer.register(registry).record(took);
    }

    /** Counts everything a decision holds: violations, rejections, exemptions, rule errors. */
    public void recordDecision(Decision decision, String kind, String namespace) {
        String mode = decision.mode().id();
        for (Violation violation : decision.allViolations()) {
            Counter.builder("safeguard.rule.violations")
                    .description("Rule violations found, whatever their action")
                    .tag("rule", violation.ruleId()).tag("action", violation.action().id()).tag("mode", mode)
                    .register(registry).increment();
        }
        for (Violation violation : decision.denied()) {
            Counter.builder("safeguard.admission.rejections")
                    .description("Denied rules, one per rule per rejected request")
                    .tag("rule", violation.ruleId()).tag("kind", label(kind))
                    .tag("namespace", namespaceLabel && namespace != null ? namespace : NO_NAMESPACE)
                    .register(registry).increment();
        }
        for (Violation violation : decision.wouldDeny()) {
            Counter.builder("safeguard.admission.would.denials")
                    .description("Deny-level violations audit mode let through, one per rule per request: what "
                            + "enforcing would reject")
                    .tag("rule", violation.ruleId()).tag("kind", label(kind))
                    .tag("namespace", namespaceLabel && namespace != null ? namespace : NO_NAMESPACE)
                    .register(registry).increment();
        }
        for (Decision.Exemption exemption : decision.exemptions()) {
            Counter.builder("safeguard.exemptions")
                    .description("Violations let off by a safeguard.dev/exempt annotation with a reason")
                    .tag("rule", exemption.ruleId())
                    .register(registry).increment();
        }
        for (Decision.Inherited inherited : decision.inherited()) {
            Counter.builder("safeguard.inherited.violations")
                    .description("Violations of controller-made objects that their verified owner already stands for: "
                            + "not denied, warned about or counted as violations again")
                    .tag("rule", inherited.violation().ruleId()).tag("owner_kind", inherited.ownerKind())
                    .register(registry).increment();
        }
        for (RuleError error : decision.errors()) {
            recordRuleError(error.ruleId());
        }
    }

    public void recordRuleError(String ruleId) {
        Counter.builder("safeguard.rule.errors")
                .description("Rules that failed to evaluate on an object (the rule was skipped)")
                .tag("rule", ruleId)
                .register(registry).increment();
    }

    /** result: success | failure. */
    public void recordPolicyReload(String result) {
        Counter.builder("safeguard.policy.reloads")
                .description("Policy loads and reloads, by result")
                .tag("result", result)
                .register(registry).increment();
    }

    /** Publishes safeguard_policy_info{version,mode} 1 for the policy now serving. */
    public void recordPolicyInfo(String version, Mode mode) {
        PolicyInfo previous = policyInfo.getAndSet(new PolicyInfo(version, mode.id()));
        if (previous != null) {
            registry.find("safeguard.policy.info").tags("version", previous.version(), "mode", previous.mode())
                    .meters().forEach(registry::remove);
        }
        Gauge.builder("safeguard.policy.info", () -> 1)
                .description("The policy serving requests: 1 for its version and mode")
                .tag("version", version).tag("mode", mode.id())
                .register(registry);
    }

    private static String label(String value) {
        return value == null ? "" : value;
    }
}
