package dev.safeguard.metrics;

import dev.safeguard.rules.Exemptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The background audit's safeguard_audit_* metrics: what stands in the cluster now, and how the audit keeps up.
 * Gauges of violations exist only while they are non-zero, so fixed namespaces and deleted ones leave no series.
 */
@ApplicationScoped
public class AuditMetrics {

    /** One series of a per-namespace gauge: which metric, which namespace it belongs to, and its labels. */
    private record Series(String metric, String namespace, Tags tags) {
    }

    private final MeterRegistry registry;
    private final Map<Series, AtomicLong> perNamespace = new ConcurrentHashMap<>();
    private final AtomicLong objects = new AtomicLong();
    private final AtomicLong lastFullSync = new AtomicLong();

    public AuditMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers the gauges that exist from the start (objects judged, time of the last full sync). */
    public void start() {
        Gauge.builder("safeguard.audit.objects", objects, AtomicLong::get)
                .description("Objects the background audit judges now").register(registry);
        Gauge.builder("safeguard.audit.last.full.sync.timestamp.seconds", lastFullSync, AtomicLong::get)
                .description("When the background audit last judged every object (Unix time; 0 before the first)")
                .register(registry);
    }

    public void objects(long count) {
        objects.set(count);
    }

    /**
     * The standing violations of one namespace, by (rule, action), replacing what it had; team is the namespace's team,
     * scope the policy that governs it (cluster, or the name of the namespaces entry that selects it).
     */
    public void violations(String namespace, String team, String scope,
            Map<Map.Entry<String, String>, Long> byRuleAndAction) {
        String label = namespace == null ? "" : namespace;
        Map<Tags, Long> values = new HashMap<>();
        byRuleAndAction.forEach((ruleAndAction, count) -> values.put(Tags.of("rule", ruleAndAction.getKey(),
                "namespace", label, "action", ruleAndAction.getValue(), "team", team, "scope", scope), count));
        replace("safeguard.audit.violations", "Violations standing in the cluster now, by rule, namespace, the rule's "
                + "action, the namespace's team and the scope of the policy governing it", label, values);
    }

    /**
     * The exemptions objects of one namespace give themselves, replacing what it had: how many are active and how many
     * have ended, by rule, and the earliest end among the active dated ones (what an alert watches).
     */
    public void exemptions(String namespace, String team, List<Exemptions.Exemption> exemptions) {
        String label = namespace == null ? "" : namespace;
        Map<Tags, Long> counts = new HashMap<>();
        Map<Tags, Long> earliestEnd = new HashMap<>();
        for (Exemptions.Exemption exemption : exemptions) {
            counts.merge(Tags.of("rule", exemption.ruleId(), "namespace", label, "team", team, "state",
                    exemption.expired() ? "expired" : "active"), 1L, Long::sum);
            if (!exemption.expired() && exemption.until() != null) {
                earliestEnd.merge(Tags.of("rule", exemption.ruleId(), "namespace", label, "team", team),
                        exemption.until().getEpochSecond(), Math::min);
            }
        }
        replace("safeguard.audit.exemptions", "Exemptions objects give themselves (safeguard.dev/exempt), by rule, "
                + "namespace, team and state: active, or expired (ignored since their exempt-until passed)", label, counts);
        replace("safeguard.audit.exemption.expiry.timestamp.seconds", "The earliest safeguard.dev/exempt-until among the "
                + "active dated exemptions of a rule in a namespace (Unix time)", label, earliestEnd);
    }

    /**
     * Sets a gauge's series of one namespace to {@code values}, removing the namespace's series not among them:
     * gauges exist only while they have something to say, so fixed and deleted namespaces leave no series.
     */
    private synchronized void replace(String metric, String description, String namespace, Map<Tags, Long> values) {
        perNamespace.entrySet().removeIf(entry -> {
            Series series = entry.getKey();
            if (!series.metric().equals(metric) || !series.namespace().equals(namespace)
                    || values.containsKey(series.tags())) {
                return false;
            }
            registry.find(metric).tags(series.tags()).meters().forEach(registry::remove);
            return true;
        });
        values.forEach((tags, value) -> perNamespace.computeIfAbsent(new Series(metric, namespace, tags), created -> {
            AtomicLong gauge = new AtomicLong();
            Gauge.builder(metric, gauge, AtomicLong::get).description(description).tags(tags).register(registry);
            return gauge;
        }).set(value));
    }

    public void fullScan(Duration took) {
        Timer.builder("safeguard.audit.scan.duration")
                .description("Time to judge every object the audit watches (at start and on a policy change)")
                .register(registry).record(took);
        lastFullSync.set(System.currentTimeMillis() / 1000);
    }

    /** From an object's change seen by the informer to its namespace's report written. */
    public void update(Duration took) {
        Timer.builder("safeguard.audit.update.duration")
                .description("Time from an object's change seen by the audit to its report written")
                .register(registry).record(took);
    }

    /** result: success | failure. */
    public void reportWrite(String result) {
        Counter.builder("safeguard.audit.report.writes")
                .description("Report writes by the background audit, by result")
                .tag("result", result).register(registry).increment();
    }
}
