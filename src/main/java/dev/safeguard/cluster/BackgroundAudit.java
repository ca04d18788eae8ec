package dev.safeguard.cluster;

import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.metrics.AuditMetrics;
import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.Exemptions;
import dev.safeguard.rules.NamespacePolicy;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RuleEngine;
import dev.safeguard.rules.RuleResult;
import dev.safeguard.rules.Subject;
import dev.safeguard.server.PolicyHolder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    /** @param exemptions the exemptions the object gives itself, ended ones included */
    private record Judged(List<AuditReport.Finding> findings, long passes, Instant since,
            List<Exemptions.Exemption> exemptions) {
    }

    private final boolean enabled;
    private final int maxResults;
    private final AuditReport.Format format;
    private final Duration interval;
    private final PolicyHolder policies;
    private final InformerRelatedObjects cluster;
    private final Instance<KubernetesClient> clients;
    private final AuditMetrics metrics;
    private final PolicyEngine engine;
    private final Clock clock;
    /**
     * When the verdicts change with nothing in the cluster changing: the ends of the exemptions judged, each with the
     * namespaces to judge again then (audit thread only).
     */
    private final TreeMap<Instant, Set<String>> exemptionEnds = new TreeMap<>();
    /** When the last full scan judged (the dated denies of the policy between then and now call for another). */
    private Instant fullScanAt = Instant.MIN;
    /** Report writes in flight at once. */
    private static final int WRITERS = 8;
    private final ExecutorService writers = Executors.newFixedThreadPool(WRITERS, task -> {
        Thread thread = new Thread(task, "safeguard-audit-writer");
        thread.setDaemon(true);
        return thread;
    });

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

    public BackgroundAudit(SafeguardConfig config, PolicyHolder policies, InformerRelatedObjects cluster,
            Instance<KubernetesClient> clients, AuditMetrics metrics, Clock clock) {
        this.engine = new PolicyEngine(new RuleEngine(), clock);
        this.clock = clock;
        int maxResults = config.audit().maxResults();
        if (maxResults < 1) {
            throw new IllegalArgumentException("safeguard.audit.max-results must be at least 1, not " + maxResults);
        }
        this.enabled = config.audit().enabled();
        this.maxResults = maxResults;
        this.format = switch (config.audit().reportFormat()) {
            case POLICYREPORT -> AuditReport.Format.POLICYREPORT;
            case OPENREPORTS -> AuditReport.Format.OPENREPORTS;
        };
        this.interval = config.audit().interval();
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
        writers.shutdownNow();
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
        for (String kind : policy.judgedKinds()) {
            if (ContextKind.of(kind).isPresent()) {
                judged.add(kind);
            } else if (ApiResource.of(kind).isPresent()) {
                LOG.warnf("background audit: the policy's rules judge %s, which the audit does not watch", kind);
            }
        }
        Set<String> context = policy.contextKinds();
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
            // A Namespace's labels pick its policy and team: the objects of that namespace are judged again.
            changedNamespaces.add("Namespace".equals(kind) ? name : key);
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
                    Instant now = clock.instant();
                    if (policy != judgedWith || enforcementStartedSince(policy, fullScanAt, now)) {
                        fullScan(policy);
                    } else {
                        exemptionsEndedBy(now);
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

    /** True when a dated deny of the policy started denying after {@code since}, up to {@code now}. */
    private static boolean enforcementStartedSince(Policy policy, Instant since, Instant now) {
        return policy.scheduledEnforcements().stream().map(Policy.ScheduledEnforcement::enforceFrom)
                .anyMatch(from -> from.isAfter(since) && !from.isAfter(now));
    }

    /** Marks the namespaces whose objects' exemptions ended by {@code now} for judging again. */
    private void exemptionsEndedBy(Instant now) {
        var ended = exemptionEnds.headMap(now, true);
        ended.values().forEach(changedNamespaces::addAll);
        ended.clear();
    }

    /** Every object of every judged kind, from the caches: at start, when the policy changes or a dated deny starts. */
    private void fullScan(Policy policy) {
        long started = System.nanoTime();
        fullScanAt = clock.instant();
        exemptionEnds.clear();
        watchKindsOf(policy);
        changed.clear();
        changedNamespaces.clear();
        Set<String> before = new HashSet<>(standing.keySet());
        if (judgedWith == null) {
            before.addAll(existingReports());
        }
        standing.clear();
        List<Verdict> verdicts = judgeAll(policy, judgedKinds.stream()
                .flatMap(kind -> cluster.all(kind).stream().map(object -> new Judging(kind, object))).toList());
        verdicts.forEach(this::record);
        int objects = verdicts.size();
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
        List<Judging> again = new ArrayList<>();
        Map<ObjectKey, Judged> before = new HashMap<>();
        for (String namespace : namespaces) {
            Map<ObjectKey, Judged> previous = standing.remove(namespace);
            if (previous != null) {
                before.putAll(previous);
                reportsToWrite.add(namespace);
            }
            for (String kind : judgedKinds) {
                cluster.list(kind, namespace).forEach(object -> again.add(new Judging(kind, object)));
            }
        }
        for (Verdict verdict : judgeAll(policy, again)) {
            Judged previous = before.get(verdict.key());
            // Unchanged findings keep the time they were first seen, so an unchanged report is not rewritten.
            record(previous != null && verdict.judged() != null && previous.findings().equals(verdict.judged().findings())
                    && previous.exemptions().equals(verdict.judged().exemptions()) ? new Verdict(verdict.key(), previous)
                    : verdict);
            reportsToWrite.add(verdict.key().namespace());
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
            } else if (record(verdict(policy, key.kind(), object))) {
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

    /** An object to judge, and its kind. */
    private record Judging(String kind, Map<String, Object> object) {
    }

    /** What one object stands at: its findings, or null when it is not to be reported (rollout history). */
    private record Verdict(ObjectKey key, Judged judged) {
    }

    /** Judges many objects on every core (the engine is stateless); the audit thread records the verdicts. */
    private List<Verdict> judgeAll(Policy policy, List<Judging> objects) {
        return objects.parallelStream().map(judging -> verdict(policy, judging.kind(), judging.object())).toList();
    }

    /** Judges one object as a CREATE, as admission would. */
    private Verdict verdict(Policy policy, String kind, Map<String, Object> object) {
        String namespace = ObjectTree.string(object, "metadata", "namespace");
        ObjectKey key = new ObjectKey(kind, namespace == null ? CLUSTER : namespace,
                ObjectTree.string(object, "metadata", "name"));
        if (ApiObjects.isRolloutHistory(object)) {
            return new Verdict(key, null);
        }
        Decision decision = engine.decide(policy, new Subject(object, null, "CREATE", namespace, Map.of(), false,
                Subject.Origin.MANIFEST), cluster);
        List<AuditReport.Finding> findings = AuditReport.findings(decision, object);
        long passes = decision.with(RuleResult.Status.PASS).size();
        return new Verdict(key, new Judged(findings, passes, Instant.now(), decision.exemptions()));
    }

    /** Records a verdict in the standing findings (audit thread only); true when they changed. */
    private boolean record(Verdict verdict) {
        ObjectKey key = verdict.key();
        if (verdict.judged() == null) {
            Map<ObjectKey, Judged> judged = standing.get(key.namespace());
            return judged != null && judged.remove(key) != null;
        }
        Map<ObjectKey, Judged> judged = standing.computeIfAbsent(key.namespace(), created -> new LinkedHashMap<>());
        for (Exemptions.Exemption exemption : verdict.judged().exemptions()) {
            if (!exemption.expired() && exemption.until() != null) {
                exemptionEnds.computeIfAbsent(exemption.until(), end -> new HashSet<>()).add(key.namespace());
            }
        }
        Judged previous = judged.get(key);
        if (previous != null && previous.findings().equals(verdict.judged().findings())
                && previous.passes() == verdict.judged().passes()
                && previous.exemptions().equals(verdict.judged().exemptions())) {
            return false;
        }
        judged.put(key, verdict.judged());
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

    /** One namespace's report to write (or delete, when {@code document} is null). */
    private record ReportWrite(String namespace, Map<String, Object> document, int hash) {
    }

    private void writeReports(Policy policy) {
        long now = System.nanoTime();
        List<ReportWrite> due = new ArrayList<>();
        for (String namespace : reportsToWrite) {
            Long retry = retryAt.get(namespace);
            if (retry != null && now < retry) {
                continue;
            }
            Map<ObjectKey, Judged> judged = standing.getOrDefault(namespace, Map.of());
            List<AuditReport.TimedFinding> findings = new ArrayList<>();
            long passes = 0;
            Map<Map.Entry<String, String>, Long> violations = new HashMap<>();
            List<Exemptions.Exemption> exemptions = new ArrayList<>();
            for (Judged object : judged.values()) {
                passes += object.passes();
                exemptions.addAll(object.exemptions());
                for (AuditReport.Finding finding : object.findings()) {
                    findings.add(new AuditReport.TimedFinding(finding, object.since()));
                    if (finding.result().equals("fail") || finding.result().equals("warn")) {
                        violations.merge(Map.entry(finding.rule(), finding.action()), 1L, Long::sum);
                    }
                }
            }
            Map<String, ?> labels = namespace.equals(CLUSTER) ? Map.of()
                    : PolicyEngine.namespaceLabels(namespace, cluster);
            String team = policy.team(labels);
            NamespacePolicy entry = namespace.equals(CLUSTER) ? null : policy.namespaceEntry(labels);
            metrics.violations(namespace, team, entry == null ? Policy.CLUSTER_SCOPE : entry.name(), violations);
            metrics.exemptions(namespace, team, exemptions);
            Map<String, Object> document = judged.isEmpty() ? null : AuditReport.document(format,
                    namespace.equals(CLUSTER) ? null : namespace, policy.name(), team, findings, passes, maxResults);
            due.add(new ReportWrite(namespace, document, document == null ? 0 : document.hashCode()));
        }
        // Writes are network round trips: several at once, so that 200 namespaces are not written one by one.
        Map<ReportWrite, CompletableFuture<Void>> sent = new LinkedHashMap<>();
        for (ReportWrite write : due) {
            if (write.document() == null && !written.containsKey(write.namespace())) {
                sent.put(write, CompletableFuture.completedFuture(null)); // never written: nothing to delete
            } else if (write.document() != null && Integer.valueOf(write.hash()).equals(written.get(write.namespace()))) {
                sent.put(write, CompletableFuture.completedFuture(null)); // unchanged
            } else {
                sent.put(write, CompletableFuture.runAsync(() -> send(write), writers));
            }
        }
        sent.forEach((write, future) -> {
            String namespace = write.namespace();
            try {
                future.join();
                if (write.document() == null) {
                    written.remove(namespace);
                } else {
                    written.put(namespace, write.hash());
                }
                reportsToWrite.remove(namespace);
                retryAt.remove(namespace);
                Long since = pendingSince.remove(namespace);
                if (since != null && firstScanDone) {
                    metrics.update(Duration.ofNanos(System.nanoTime() - since));
                }
            } catch (CompletionException e) {
                metrics.reportWrite("failure");
                retryAt.put(namespace, now + RETRY_AFTER.toNanos());
                LOG.warnf("background audit: writing the %s of namespace %s failed, retrying in %s: %s", format.kind,
                        namespace, RETRY_AFTER, e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
            }
        });
    }

    /** Writes (server-side apply) or deletes one namespace's report; on a writer thread. */
    private void send(ReportWrite write) {
        String namespace = write.namespace();
        KubernetesClient client = clients.get();
        var resources = client.genericKubernetesResources(reportDefinition(namespace.equals(CLUSTER)));
        if (write.document() == null) {
            (namespace.equals(CLUSTER) ? resources.withName(AuditReport.NAME)
                    : resources.inNamespace(namespace).withName(AuditReport.NAME)).delete();
        } else {
            GenericKubernetesResource report = client.getKubernetesSerialization().convertValue(write.document(),
                    GenericKubernetesResource.class);
            (namespace.equals(CLUSTER) ? resources.resource(report) : resources.inNamespace(namespace).resource(report))
                    .fieldManager(AuditReport.SOURCE).forceConflicts().serverSideApply();
        }
        metrics.reportWrite("success");
    }

    private ResourceDefinitionContext reportDefinition(boolean clusterScoped) {
        return new ResourceDefinitionContext.Builder().withGroup(format.group).withVersion(format.version)
                .withKind(clusterScoped ? format.clusterKind : format.kind)
                .withPlural(clusterScoped ? format.clusterPlural : format.plural)
                .withNamespaced(!clusterScoped).build();
    }
}
