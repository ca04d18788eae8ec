package dev.safeguard.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The background audit's safeguard_audit_* metrics: what stands in the cluster now, and how the audit keeps up.
 * Gauges of violations exist only while they are non-zero, so fixed namespaces and deleted ones leave no series.
 */
@ApplicationScoped
public class AuditMetrics {

    private record ViolationKey(String rule, String namespace, String action) {
    }

    private final MeterRegistry registry;
    private final Map<ViolationKey, AtomicLong> violations = new ConcurrentHashMap<>();
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

    /** The standing violations of one namespace, by (rule, action), replacing what it had. */
    public void violations(String namespace, Map<Map.Entry<String, String>, Long> byRuleAndAction) {
        String label = namespace == null ? "" : namespace;
        violations.entrySet().removeIf(entry -> {
            ViolationKey key = entry.getKey();
            if (!key.namespace().equals(label)
                    || byRuleAndAction.containsKey(Map.entry(key.rule(), key.action()))) {
                return false;
            }
            registry.find("safeguard.audit.violations").tags(tags(key)).meters().forEach(registry::remove);
            return true;
        });
        byRuleAndAction.forEach((ruleAndAction, count) -> {
            ViolationKey key = new ViolationKey(ruleAndAction.getKey(), label, ruleAndAction.getValue());
            violations.computeIfAbsent(key, created -> {
                AtomicLong value = new AtomicLong();
                Gauge.builder("safeguard.audit.violations", value, AtomicLong::get)
                        .description("Violations standing in the cluster now, by rule, namespace and the rule's action")
                        .tags(tags(created)).register(registry);
                return value;
            }).set(count);
        });
    }

    private static Tags tags(ViolationKey key) {
        return Tags.of("rule", key.rule(), "namespace", key.namespace(), "action", key.action());
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
