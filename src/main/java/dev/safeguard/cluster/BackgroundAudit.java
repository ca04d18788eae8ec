package dev.safeguard.cluster;

import dev.safeguard.metrics.AuditMetrics;
import dev.safeguard.rules.Action;
import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RuleEngine;
import dev.safeguard.rules.RuleSet;
import dev.safeguard.rules.Subject;
import dev.safeguard.rules.Workload;
import dev.safeguard.server.PolicyHolder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The background audit ({@code safeguard audit}, its own Deployment, never the admission pods): judges what
 * already runs with the same engine, policy and verdicts as admission (a CREATE of each object: exemptions,
 * excluded namespaces, inherited verdicts, so a workload is reported and not each of its Pods), and keeps one
 * report per namespace up to date.
 *
 * <p>Incremental and informer-driven: every object of the judged kinds is judged once when the caches have
 * synced, then again only when it changes, when its namespace's context (a PodDisruptionBudget, a Service, an
 * owner) changes, or when the policy changes; never a periodic re-list. Changes arrive on informer threads and
 * are handled in batches by one audit thread, which alone owns the standing findings; a namespace's report
 * is written only when its content changed.
 */
@ApplicationScoped
public class BackgroundAudit {

    private static final Logger LOG = Logger.getLogger(BackgroundAudit.class);
    /** After a failed report write, wait this long before trying that namespace again. */
    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);
    /** The namespace key of cluster-scoped objects. */
    private static final String CLUSTER = "";

    private record ObjectKey(String kind, String namespace, String name) {
    }

    /** One object's standing findings and the rule verdicts that passed, since when they stand. */
    private record Judged(List<AuditReport.Finding> findings, long passes, Instant since) {
    }

    private final boolean enabled;
    private final int maxResults;
    private final AuditReport.Format format;
    private final Duration interval;
    private final PolicyHolder policies;
    private final InformerRelatedObjects cluster;
    private final Instance<KubernetesClient> clients;
    private final AuditMetrics metrics;
    private final PolicyEngine engine = new PolicyEngine();

    // Written by informer threads, drained by the audit thread.
    private final Set<ObjectKey> changed = ConcurrentHashMap.newKeySet();
    private final Set<String> changedNamespaces = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> pendingSince = new ConcurrentHashMap<>();

    // The audit thread's own.
    private final Map<String, Map<ObjectKey, Judged>> standing = new HashMap<>();
    private final Map<String, Integer> written = new HashMap<>();
    private final Map<String, Long> retryAt = new HashMap<>();
    private final Set<String> reportsToWrite = new HashSet<>();
    private Policy judgedWith;
    private volatile Set<String> judgedKinds = Set.of();
    private volatile Set<String> contextKinds = Set.of();
    private volatile boolean firstScanDone;
    private volatile boolean running;
    private Thread thread;

    public BackgroundAudit(@ConfigProperty(name = "safeguard.audit.enabled", defaultValue = "false") boolean enabled,
            @ConfigProperty(name = "safeguard.audit.max-results", defaultValue = "1000") int maxResults,
            @ConfigProperty(name = "safeguard.audit.report-format", defaultValue = "policyreport") String format,
            @ConfigProperty(name = "safeguard.audit.interval", defaultValue = "500ms") Duration interval,
            PolicyHolder policies, InformerRelatedObjects cluster, Instance<KubernetesClient> clients,
            AuditMetrics metrics) {
        if (maxResults < 1) {
            throw new IllegalArgumentException("safeguard.audit.max-results must be at least 1, not " + maxResults);
        }
        this.enabled = enabled;
        this.maxResults = maxResults;
        this.format = AuditReport.Format.parse(format);
        this.interval = interval;
        this.policies = policies;
        this.cluster = cluster;
        this.clients = clients;
        this.metrics = metrics;
    }

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        if (!cluster.enabled()) {
            throw new IllegalStateException("the background audit reads the cluster through informers: "
                    + "set safeguard.context.enabled=true (safeguard audit does)");
        }
        metrics.start();
        watchKindsOf(policies.current());
        cluster.addListener(this::changed);
        running = true;
        thread = new Thread(this::run, "safeguard-audit");
        thread.setDaemon(true);
        thread.start();
        LOG.infof("background audit on: judging %s, context %s; %s reports, at most %d results each",
                judgedKinds, contextKinds, format.kind, maxResults);
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }

    public boolean enabled() {
        return enabled;
    }

    /** True once every object was judged and every report written at least once. */
    public boolean firstScanDone() {
        return firstScanDone;
    }

    /** The kinds the policy's enabled rules judge (and the audit can watch), and those their verdicts depend on. */
    private void watchKindsOf(Policy policy) {
        Set<String> judged = new TreeSet<>();
        Set<String> context = new TreeSet<>(policy.ownership().ownerKinds().keySet());
        for (RuleSet.Entry entry : policy.rules().entries()) {
            if (entry.action() == Action.OFF) {
                continue;
            }
            context.addAll(entry.rule().definition().related());
            for (String kind : entry.rule().definition().match().kinds()) {
                if (ContextKind.of(kind).isPresent()) {
                    judged.add(kind);
                } else if (ApiResource.of(kind).isPresent()) {
                    LOG.warnf("background audit: rule %s judges %s, which the audit does not watch", entry.id(), kind);
                }
            }
        }
        judgedKinds = Set.copyOf(judged);
        contextKinds = Set.copyOf(context);
        Set<String> all = new TreeSet<>(judged);
        all.addAll(context);
        cluster.watch(all);
    }

    /** Informer threads: note what changed; the audit thread judges it. */
    private void changed(String kind, String namespace, String name) {
        String key = namespace == null ? CLUSTER : namespace;
        boolean relevant = false;
        if (judgedKinds.contains(kind)) {
            changed.add(new ObjectKey(kind, key, name));
            relevant = true;
        }
        if (contextKinds.contains(kind)) {
            changedNamespaces.add(key);
            relevant = true;
        }
        if (relevant) {
            pendingSince.putIfAbsent(key, System.nanoTime());
        }
    }

    private void run() {
        while (running) {
            try {
                if (cluster.allSynced()) {
                    Policy policy = policies.current();
                    if (policy != judgedWith) {
                        fullScan(policy);
                    } else {
                        judgeChanges(policy);
                    }
                    writeReports(policy);
                    if (!firstScanDone && reportsToWrite.isEmpty()) {
                        firstScanDone = true;
                        LOG.infof("background audit: first full scan reported, %d namespaces", standing.size());
                    }
                }
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | StackOverflowError e) {
                // One bad object or a bug must not end the audit: log it, and carry on with the next batch.
                LOG.errorf(e, "background audit: a batch failed; carrying on");
            }
        }
    }

    /** Every object of every judged kind, from the caches: at start and when the policy changes. */
    private void fullScan(Policy policy) {
        long started = System.nanoTime();
        watchKindsOf(policy);
        changed.clear();
        changedNamespaces.clear();
        Set<String> before = new HashSet<>(standing.keySet());
        if (judgedWith == null) {
            before.addAll(existingReports());
        }
        standing.clear();
        int objects = 0;
        for (String kind : judgedKinds) {
            for (Map<String, Object> object : cluster.all(kind)) {
                judge(policy, kind, object);
                objects++;
            }
        }
        judgedWith = policy;
        reportsToWrite.addAll(before);
        reportsToWrite.addAll(standing.keySet());
        metrics.objects(objects);
        metrics.fullScan(Duration.ofNanos(System.nanoTime() - started));
        LOG.infof("background audit: judged %d objects in %d namespaces with policy %s in %d ms", objects,
                standing.size(), policy.version(), (System.nanoTime() - started) / 1_000_000);
    }

    /** What changed since the last batch: the objects themselves, and whole namespaces whose context changed. */
    private void judgeChanges(Policy policy) {
        Set<String> namespaces = drain(changedNamespaces);
        for (String namespace : namespaces) {
            Map<ObjectKey, Judged> previous = standing.remove(namespace);
            for (String kind : judgedKinds) {
                for (Map<String, Object> object : cluster.list(kind, namespace)) {
                    judge(policy, kind, object);
                }
            }
            if (previous != null || standing.containsKey(namespace)) {
                reportsToWrite.add(namespace);
            }
        }
        for (ObjectKey key : drain(changed)) {
            if (namespaces.contains(key.namespace())) {
                continue; // judged with its whole namespace above
            }
            Map<String, Object> object = cluster.cached(key.kind(), key.namespace(), key.name());
            if (object == null) {
                Map<ObjectKey, Judged> judged = standing.get(key.namespace());
                if (judged != null && judged.remove(key) != null) {
                    if (judged.isEmpty()) {
                        standing.remove(key.namespace());
                    }
                    reportsToWrite.add(key.namespace());
                }
            } else if (judge(policy, key.kind(), object)) {
                reportsToWrite.add(key.namespace());
            }
        }
        metrics.objects(standing.values().stream().mapToLong(Map::size).sum());
    }

    private static <T> Set<T> drain(Set<T> pending) {
        Set<T> taken = new HashSet<>(pending);
        pending.removeAll(taken);
        return taken;
    }

    /** Judges one object as a CREATE; true when its standing findings changed. */
    private boolean judge(Policy policy, String kind, Map<String, Object> object) {
        String namespace = ObjectTree.string(object, "metadata", "namespace");
        String key = namespace == null ? CLUSTER : namespace;
        ObjectKey objectKey = new ObjectKey(kind, key, ObjectTree.string(object, "metadata", "name"));
        if (ApiObjects.isRolloutHistory(object)) {
            Map<ObjectKey, Judged> judged = standing.get(key);
            return judged != null && judged.remove(objectKey) != null;
        }
        Decision decision = engine.decide(policy, new Subject(object, null, "CREATE", namespace, Map.of(), false,
                Subject.Origin.MANIFEST), cluster);
        List<AuditReport.Finding> findings = AuditReport.findings(policy, decision, object);
        long applicable = decision.excluded() ? 0 : policy.rules().entries().stream()
                .filter(entry -> RuleEngine.applies(entry, Workload.of(object))).count();
        long passes = Math.max(0, applicable - findings.size() - decision.inherited().size());
        Map<ObjectKey, Judged> judged = standing.computeIfAbsent(key, created -> new LinkedHashMap<>());
        Judged previous = judged.get(objectKey);
        if (previous != null && previous.findings().equals(findings) && previous.passes() == passes) {
            return false;
        }
        judged.put(objectKey, new Judged(findings, passes, Instant.now()));
        return true;
    }

    /**
     * The namespaces that have a report of ours from an earlier run, so that one whose objects are gone by now
     * is deleted rather than left standing. Marked as written with an unknown content.
     */
    private Set<String> existingReports() {
        Set<String> namespaces = new HashSet<>();
        try {
            for (GenericKubernetesResource report : clients.get().genericKubernetesResources(reportDefinition(false))
                    .inAnyNamespace().withLabel("app.kubernetes.io/managed-by", AuditReport.SOURCE).list().getItems()) {
                namespaces.add(report.getMetadata().getNamespace());
                written.put(report.getMetadata().getNamespace(), 0);
            }
        } catch (RuntimeException e) {
            LOG.warnf("background audit: cannot list existing %s reports (are the CRDs installed?): %s", format.kind,
                    e.getMessage());
        }
        return namespaces;
    }

    private void writeReports(Policy policy) {
        long now = System.nanoTime();
        for (String namespace : new ArrayList<>(reportsToWrite)) {
            Long retry = retryAt.get(namespace);
            if (retry != null && now < retry) {
                continue;
            }
            Map<ObjectKey, Judged> judged = standing.getOrDefault(namespace, Map.of());
            List<AuditReport.TimedFinding> findings = new ArrayList<>();
            long passes = 0;
            Map<Map.Entry<String, String>, Long> violations = new HashMap<>();
            for (Judged object : judged.values()) {
                passes += object.passes();
                for (AuditReport.Finding finding : object.findings()) {
                    findings.add(new AuditReport.TimedFinding(finding, object.since()));
                    if (finding.result().equals("fail") || finding.result().equals("warn")) {
                        violations.merge(Map.entry(finding.rule(), finding.action()), 1L, Long::sum);
                    }
                }
            }
            metrics.violations(namespace, violations);
            try {
                if (judged.isEmpty()) {
                    delete(namespace);
                } else {
                    write(namespace, AuditReport.document(format, namespace.equals(CLUSTER) ? null : namespace,
                            policy.name(), findings, passes, maxResults));
                }
                reportsToWrite.remove(namespace);
                retryAt.remove(namespace);
                Long since = pendingSince.remove(namespace);
                if (since != null && firstScanDone) {
                    metrics.update(Duration.ofNanos(System.nanoTime() - since));
                }
            } catch (RuntimeException e) {
                metrics.reportWrite("failure");
                retryAt.put(namespace, now + RETRY_AFTER.toNanos());
                LOG.warnf("background audit: writing the %s of namespace %s failed, retrying in %s: %s", format.kind,
                        namespace, RETRY_AFTER, e.getMessage());
            }
        }
    }

    private void write(String namespace, Map<String, Object> document) {
        int hash = document.hashCode();
        if (Integer.valueOf(hash).equals(written.get(namespace))) {
            return;
        }
        KubernetesClient client = clients.get();
        GenericKubernetesResource report = client.getKubernetesSerialization().convertValue(document,
                GenericKubernetesResource.class);
        var resources = client.genericKubernetesResources(reportDefinition(namespace.equals(CLUSTER)));
        (namespace.equals(CLUSTER) ? resources.resource(report) : resources.inNamespace(namespace).resource(report))
                .fieldManager(AuditReport.SOURCE).forceConflicts().serverSideApply();
        written.put(namespace, hash);
        metrics.reportWrite("success");
    }

    private void delete(String namespace) {
        if (!written.containsKey(namespace)) {
            return;
        }
        var resources = clients.get().genericKubernetesResources(reportDefinition(namespace.equals(CLUSTER)));
        (namespace.equals(CLUSTER) ? resources.withName(AuditReport.NAME)
                : resources.inNamespace(namespace).withName(AuditReport.NAME)).delete();
        written.remove(namespace);
        metrics.reportWrite("success");
    }

    private ResourceDefinitionContext reportDefinition(boolean clusterScoped) {
        return new ResourceDefinitionContext.Builder().withGroup(format.group).withVersion(format.version)
                .withKind(clusterScoped ? format.clusterKind : format.kind)
                .withPlural(clusterScoped ? format.clusterPlural : format.plural)
                .withNamespaced(!clusterScoped).build();
    }
}
