package dev.safeguard.metrics;

import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.Disposition;
import dev.safeguard.rules.Exemptions;
import dev.safeguard.rules.Mode;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.RuleResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import jakarta.inject.Inject;

/**
 * Every safeguard_* metric, in one place so names and labels stay consistent with the dashboard, the
 * alerts and docs/metrics.md.
 *
 * <p>Label values that come from a request are bounded, so that no request, however crafted, adds series
 * without limit: {@code kind} is one of the kinds the webhook knows (the API resources it can judge and the
 * kinds the policy's rules match) or {@code other}; {@code operation} is CREATE, UPDATE, DELETE, CONNECT or
 * {@code other}; {@code namespace} is a valid namespace name among the first
 * {@code safeguard.metrics.max-namespaces} seen, else {@code other}; {@code team} (the value of the policy's teamLabel
 * on the object's namespace, "" for none) likewise among the first {@code safeguard.metrics.max-teams}.
 */
@ApplicationScoped
public class SafeguardMetrics {

    /** Label value when the namespace label is switched off or the object has no namespace. */
    static final String NO_NAMESPACE = "";
    /** Label value for a kind, operation or namespace outside the bounded set. */
    public static final String OTHER = "other";
    private static final Set<String> OPERATIONS = Set.of("CREATE", "UPDATE", "DELETE", "CONNECT");
    /** A namespace name as Kubernetes allows it (RFC 1123 label). */
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** A label value as Kubernetes allows it. */
    private static final Pattern LABEL_VALUE = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    /** internal-error reasons: the label values of safeguard_admission_internal_errors_total. */
    public static final Set<String> INTERNAL_ERROR_REASONS = Set.of("deadline", "overloaded", "exception", "error");
    /** The label values of safeguard_admission_input_limit_exceeded_total. */
    public static final Set<String> INPUT_LIMITS = Set.of("containers", "env", "list-items", "string-length", "depth",
            "values", "parser");

    private final MeterRegistry registry;
    private final boolean namespaceLabel;
    private final BoundedLabel namespaces;
    private final BoundedLabel teams;
    private final List<Meter.Id> scheduledEnforcements = new ArrayList<>();
    private volatile Set<String> policyKinds = Set.of();
    private final Timer.Builder durationTimer;
    private final AtomicReference<PolicyInfo> policyInfo = new AtomicReference<>();

    private record PolicyInfo(String version, String mode) {
    }

    @Inject
    public SafeguardMetrics(MeterRegistry registry, SafeguardConfig config) {
        this(registry, config.metrics().namespaceLabel(), config.metrics().maxNamespaces(), config.metrics().maxTeams());
    }

    /** Without Quarkus (tests): the registry, whether namespaces label rejections and how many at most. */
    public SafeguardMetrics(MeterRegistry registry, boolean namespaceLabel, int maxNamespaces) {
        this(registry, namespaceLabel, maxNamespaces, 100);
    }

    public SafeguardMetrics(MeterRegistry registry, boolean namespaceLabel, int maxNamespaces, int maxTeams) {
        this.registry = registry;
        this.namespaceLabel = namespaceLabel;
        this.namespaces = new BoundedLabel("namespace", NAMESPACE, maxNamespaces,
                "safeguard.metrics.max-namespaces, or switch the label off with safeguard.metrics.namespace-label=false");
        this.teams = new BoundedLabel("team", LABEL_VALUE, maxTeams, "safeguard.metrics.max-teams");
        this.durationTimer = Timer.builder("safeguard.admission.duration")
                .description("Time to answer one AdmissionReview, from parsed body to response")
                .serviceLevelObjectives(buckets())
                .minimumExpectedValue(Duration.ofNanos(500_000))
                .maximumExpectedValue(Duration.ofSeconds(10));
        // Counters alerts watch exist from the start, at 0, so that increase() sees their first event.
        INTERNAL_ERROR_REASONS.forEach(reason -> internalErrors(reason));
        INPUT_LIMITS.forEach(limit -> inputLimits(limit));
        tlsReloads("success");
        tlsReloads("rejected");
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
        if (!decision.disposed(Disposition.WOULD_DENY).isEmpty()) {
            return "would_deny";
        }
        return decision.warningLines().isEmpty() ? "allow" : "warn";
    }

    public void recordRequest(String kind, String operation, String decision, boolean dryRun, Duration took) {
        Counter.builder("safeguard.admission.requests")
                .description("AdmissionReviews answered, by object kind, operation and decision")
                .tag("kind", kindLabel(kind)).tag("operation", operationLabel(operation)).tag("decision", decision)
                .tag("dry_run", Boolean.toString(dryRun))
                .register(registry).increment();
        durationTimer.register(registry).record(took);
    }

    /**
     * Counts everything a decision holds: violations, rejections, exemptions (and ended ones), inherited violations,
     * rule errors and an exemption grant, each rejection and violation with the team of the object's namespace.
     */
    public void recordDecision(Decision decision, String kind, String namespace) {
        String mode = decision.mode().id();
        String team = teams.value(decision.team());
        for (RuleResult result : decision.results()) {
            switch (result.status()) {
                case FAIL -> Counter.builder("safeguard.rule.violations")
                        .description("Rule violations found, whatever their action")
                        .tag("rule", result.ruleId()).tag("action", result.action().id()).tag("mode", mode)
                        .tag("team", team)
                        .register(registry).increment();
                case EXEMPT -> Counter.builder("safeguard.exemptions")
                        .description("Violations let off by a safeguard.dev/exempt annotation with a reason")
                        .tag("rule", result.ruleId()).tag("team", team)
                        .register(registry).increment();
                case INHERITED -> Counter.builder("safeguard.inherited.violations")
                        .description("Violations of controller-made objects that their verified owner already stands "
                                + "for: not denied, warned about or counted as violations again")
                        .tag("rule", result.ruleId()).tag("owner_kind", kindLabel(result.owner().topKind()))
                        .register(registry).increment();
                default -> { }
            }
            if (result.disposition() == Disposition.DENY) {
                Counter.builder("safeguard.admission.rejections")
                        .description("Denied rules, one per rule per rejected request")
                        .tag("rule", result.ruleId()).tag("kind", kindLabel(kind))
                        .tag("namespace", namespaceLabel(namespace)).tag("team", team)
                        .register(registry).increment();
            }
            if (result.disposition() == Disposition.WOULD_DENY) {
                Counter.builder("safeguard.admission.would.denials")
                        .description("Deny-level violations let through, one per rule per request: by audit mode, or "
                                + "before a dated rule's enforceFrom; what enforcing would reject")
                        .tag("rule", result.ruleId()).tag("kind", kindLabel(kind))
                        .tag("namespace", namespaceLabel(namespace)).tag("team", team)
                        .register(registry).increment();
            }
            if (result.error() != null) {
                recordRuleError(result.ruleId());
            }
        }
        for (Exemptions.Exemption exemption : decision.exemptions()) {
            if (exemption.expired()) {
                Counter.builder("safeguard.exemptions.expired")
                        .description("Exemptions ignored because their safeguard.dev/exempt-until has passed")
                        .tag("rule", exemption.ruleId()).tag("team", team)
                        .register(registry).increment();
            }
        }
        if (decision.grant() != null) {
            Counter.builder("safeguard.exemption.grants")
                    .description("Requests adding or changing safeguard.dev/exempt* annotations, by outcome: granted, "
                            + "or refused (the requester is not among the policy's grantors)")
                    .tag("outcome", decision.grant().allowed() ? "granted" : "refused").tag("team", team)
                    .register(registry).increment();
        }
    }

    public void recordRuleError(String ruleId) {
        Counter.builder("safeguard.rule.errors")
                .description("Rules that failed to evaluate on an object (handled by the rule's onError)")
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

    /**
     * Publishes safeguard_policy_scheduled_enforcement_timestamp_seconds{rule,scope}: when each dated deny of the
     * serving policy starts denying, replacing those of the policy before.
     */
    public synchronized void recordScheduledEnforcements(List<Policy.ScheduledEnforcement> scheduled) {
        scheduledEnforcements.forEach(registry::remove);
        scheduledEnforcements.clear();
        for (Policy.ScheduledEnforcement enforcement : scheduled) {
            double seconds = enforcement.enforceFrom().getEpochSecond();
            scheduledEnforcements.add(Gauge.builder("safeguard.policy.scheduled.enforcement.timestamp.seconds",
                    () -> seconds)
                    .description("When a dated deny (a rule's enforceFrom) starts denying, in seconds since the epoch; "
                            + "scope is cluster for the policy's own rules, else the namespace entry's name")
                    .tag("rule", enforcement.ruleId()).tag("scope", enforcement.scope())
                    .register(registry).getId());
        }
    }

    /**
     * An answer the rules did not give: the review ran past its deadline, found the worker pool full, or
     * failed with an exception or a JVM error. Answered per safeguard.admission.on-internal-error.
     */
    public void recordInternalError(String reason) {
        internalErrors(INTERNAL_ERROR_REASONS.contains(reason) ? reason : OTHER).increment();
    }

    private Counter internalErrors(String reason) {
        return Counter.builder("safeguard.admission.internal.errors")
                .description("Reviews answered per on-internal-error instead of by the rules, by reason: deadline, "
                        + "overloaded, exception, error")
                .tag("reason", reason)
                .register(registry);
    }

    /** An object over an input limit (containers, env, list-items, string-length, depth, values, parser). */
    public void recordInputLimit(String limit) {
        inputLimits(INPUT_LIMITS.contains(limit) ? limit : OTHER).increment();
    }

    private Counter inputLimits(String limit) {
        return Counter.builder("safeguard.admission.input.limit.exceeded")
                .description("Reviews whose object is over an input limit: not judged by the rules, denied (enforce) "
                        + "or warned about (audit)")
                .tag("limit", limit)
                .register(registry);
    }

    /** Publishes the reviews queued or being decided, read from {@code inFlight} at each scrape. */
    public void registerInFlight(Supplier<Number> inFlight) {
        Gauge.builder("safeguard.admission.in.flight", inFlight)
                .description("Reviews accepted and not answered yet: queued for or running on the worker pool")
                .register(registry);
    }

    /** result: success | rejected. */
    public void recordTlsReload(String result) {
        tlsReloads(result).increment();
    }

    private Counter tlsReloads(String result) {
        return Counter.builder("safeguard.tls.reloads")
                .description("Changed TLS certificate files: installed (success) or refused (rejected: does not parse, "
                        + "key does not match, expired); a refused pair leaves the previous certificate serving")
                .tag("result", result)
                .register(registry);
    }

    /** Seconds until the served certificate expires (negative once expired), read at each scrape. */
    public void registerTlsExpiry(Supplier<Number> secondsLeft) {
        Gauge.builder("safeguard.tls.cert.expiry.seconds", secondsLeft)
                .description("Seconds until the served TLS certificate expires (negative once it has)")
                .register(registry);
    }

    /** The kinds the policy's rules match, allowed as kind label values besides the known API resources. */
    public void recordPolicyKinds(Collection<String> kinds) {
        policyKinds = Set.copyOf(kinds);
    }

    /** The kind label: a kind the webhook knows, else "other". */
    public String kindLabel(String kind) {
        if (kind == null || kind.isEmpty()) {
            return "";
        }
        return ApiResource.of(kind).isPresent() || policyKinds.contains(kind) ? kind : OTHER;
    }

    /** The operation label: CREATE, UPDATE, DELETE, CONNECT, else "other". */
    public static String operationLabel(String operation) {
        return operation != null && OPERATIONS.contains(operation) ? operation : OTHER;
    }

    /**
     * The namespace label: empty when switched off or absent; the namespace itself when it is a valid name
     * and among the first safeguard.metrics.max-namespaces seen; else "other".
     */
    String namespaceLabel(String namespace) {
        return namespaceLabel ? namespaces.value(namespace) : NO_NAMESPACE;
    }
}
