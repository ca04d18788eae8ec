package dev.safeguard.cluster;

import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.RelatedList;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.server.PolicyHolder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Context for the webhook's context rules from shared informers: one per kind the policy's rules declare in
 * {@code related:}, one per owner kind whose objects inherit their owner's verdicts, and Namespaces when the policy
 * reads namespace labels (per-namespace policy, team routing), over every namespace, indexed by namespace. {@link #list} reads that in-memory cache and never calls the API server.
 *
 * <p>{@link #get}, the owner lookup, has one bounded exception: a controller creates a ReplicaSet
 * milliseconds after its Deployment was created, sometimes before the watch delivered the Deployment. When
 * the cache has no such object, one GET asks the API server, waiting at most
 * {@code safeguard.ownership.lookup-timeout} (default 1 s), with at most {@value #MAX_CONCURRENT_LOOKUPS}
 * such GETs in flight; past either bound the owner counts as not found and the object is judged in full.
 *
 * <p>Until every informer has synced (or with {@code safeguard.context.enabled=false}) this is
 * {@link RelatedObjects#NONE}: {@link #available()} is false and context rules stay quiet rather than judge
 * from half a cache. An API server that cannot be reached is retried for ever in the background; the
 * webhook keeps answering meanwhile.
 */
@ApplicationScoped
public class InformerRelatedObjects implements RelatedObjects {

    private static final Logger LOG = Logger.getLogger(InformerRelatedObjects.class);
    static final int MAX_CONCURRENT_LOOKUPS = 4;
    /** Objects per page of an informer's list. */
    private static final long LIST_PAGE = 500;

    private final boolean enabled;
    private final PolicyHolder policies;
    private final Instance<KubernetesClient> clients;
    private final Map<String, KindCache> caches = new ConcurrentHashMap<>();
    private final Map<String, SharedIndexInformer<GenericKubernetesResource>> informers = new ConcurrentHashMap<>();
    private final Set<String> reportedUnknown = ConcurrentHashMap.newKeySet();
    private final List<ChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean reportedNotSynced = new AtomicBoolean();
    private final AtomicBoolean reportedReady = new AtomicBoolean();
    private final Semaphore lookups = new Semaphore(MAX_CONCURRENT_LOOKUPS);
    private final Duration lookupTimeout;
    private volatile boolean synced;
    /** What the serving policy needs watched: the kinds its rules declare in related:, and the owner kinds. */
    private volatile Set<String> policyKinds = Set.of();
    /** What others asked to have watched ({@link #watch}: the kinds the background audit judges). */
    private volatile Set<String> requestedKinds = Set.of();

    public InformerRelatedObjects(SafeguardConfig config, PolicyHolder policies, Instance<KubernetesClient> clients) {
        this.enabled = config.context().enabled();
        this.lookupTimeout = config.ownership().lookupTimeout();
        this.policies = policies;
        this.clients = clients;
    }

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            LOG.info("context lookups off (safeguard.context.enabled=false): context rules see no other objects");
            return;
        }
        Map<String, String> owners = policies.current().ownership().ownerKinds();
        policyKinds = Set.copyOf(policies.current().contextKinds());
        LOG.infof("context lookups on: watching %s in every namespace (owners: %s)", policyKinds, owners.keySet());
        reconcile();
    }

    /** A reloaded policy may declare other kinds in related: or trust other owners: watch what it needs, only that. */
    void policyChanged(@Observes PolicyHolder.Changed changed) {
        if (enabled) {
            policyKinds = Set.copyOf(changed.policy().contextKinds());
            reconcile();
        }
    }

    void stop(@Observes ShutdownEvent event) {
        informers.values().forEach(SharedIndexInformer::stop);
    }


    /**
     * Starts an informer for every kind now needed that has none, and stops (and forgets the cache of) every
     * informer no longer needed, so that a reload changing the policy's context kinds neither misses objects nor
     * keeps watching (and holding in memory) kinds nothing reads.
     */
    private synchronized void reconcile() {
        Set<String> wanted = new TreeSet<>(policyKinds);
        wanted.addAll(requestedKinds);
        Set<String> stopped = new TreeSet<>();
        for (String kind : Set.copyOf(informers.keySet())) {
            if (!wanted.contains(kind)) {
                informers.remove(kind).stop();
                caches.remove(kind);
                stopped.add(kind);
            }
        }
        Set<String> started = new TreeSet<>();
        for (String kind : wanted) {
            if (!informers.containsKey(kind) && inform(kind)) {
                started.add(kind);
            }
        }
        if (!started.isEmpty()) {
            synced = false;
            reportedReady.set(false);
            reportedNotSynced.set(false);
        }
        if (!started.isEmpty() || !stopped.isEmpty()) {
            LOG.infof("context lookups: watching %s (started %s, stopped %s)", new TreeSet<>(informers.keySet()),
                    started, stopped);
        }
    }

    /** Starts watching one kind; false when there is no informer for it (said once). */
    private boolean inform(String kindName) {
        KubernetesClient client = clients.get();
        var known = ContextKind.of(kindName).or(() -> trustedOwnerResource(client, kindName));
        if (known.isEmpty()) {
            if (reportedUnknown.add(kindName)) {
                LOG.warnf("context lookups: no informer for kind %s (known: %s); rules see none of them", kindName,
                        new TreeSet<>(ContextKind.WATCHABLE));
            }
            return false;
        }
        ApiResource kind = known.get();
        KindCache cache = new KindCache(kind, object -> toMap(client, object));
        // The first list comes in pages (a cluster's 10,000 Deployments are not one response to hold at once),
        // into a store that keeps each object once, as the engine reads it.
        SharedIndexInformer<GenericKubernetesResource> informer = client.genericKubernetesResources(ApiObjects.definition(kind))
                .inAnyNamespace().withLimit(LIST_PAGE).runnableInformer(0).itemStore(cache);
        informer.addEventHandler(new ResourceEventHandler<GenericKubernetesResource>() {
            @Override
            public void onAdd(GenericKubernetesResource object) {
                tellListeners(kind.kind(), object);
            }

            @Override
            public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource object) {
                // Resyncs and status-only writes repeat the resourceVersion: nothing to judge again.
                if (!Objects.equals(old.getMetadata().getResourceVersion(),
                        object.getMetadata().getResourceVersion())) {
                    tellListeners(kind.kind(), object);
                }
            }

            @Override
            public void onDelete(GenericKubernetesResource object, boolean unknownFinalState) {
                tellListeners(kind.kind(), object);
            }
        });
        // Keep trying when the API server cannot be reached or refuses (RBAC), first list included.
        informer.exceptionHandler((started, error) -> {
            LOG.warnf("context lookups: watching %s failed, retrying: %s", kind.plural(), error.toString());
            return true;
        });
        caches.put(kind.kind(), cache);
        informers.put(kind.kind(), informer);
        informer.start().whenComplete((ignored, error) -> {
            if (error == null) {
                LOG.infof("context lookups: %s cached (%d objects)", kind.plural(), cache.size());
                if (allSynced() && reportedReady.compareAndSet(false, true)) {
                    LOG.infof("context lookups ready: every informer synced %s", status().keySet());
                }
            }
        });
        return true;
    }

    /**
     * Where the API server serves an owner kind a policy's trusted controller names (a Rollout of Argo
     * Rollouts), found by discovery of the apiVersion the policy gives.
     */
    private Optional<ApiResource> trustedOwnerResource(KubernetesClient client, String kind) {
        String apiVersion = policies.current().ownership().ownerKinds().get(kind);
        if (apiVersion == null) {
            return Optional.empty();
        }
        try {
            APIResourceList resources = client.getApiResources(apiVersion);
            for (APIResource resource : resources == null ? List.<APIResource>of() : resources.getResources()) {
                if (kind.equals(resource.getKind()) && !resource.getName().contains("/")) {
                    String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
                    String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
                    ApiResource found = new ApiResource(kind, group, version, resource.getName(),
                            Boolean.TRUE.equals(resource.getNamespaced()));
                    return Optional.of(found);
                }
            }
            LOG.warnf("ownership: the API server serves no kind %s under %s", kind, apiVersion);
        } catch (KubernetesClientException e) {
            LOG.warnf("ownership: discovery of %s for kind %s failed: %s", apiVersion, kind, e.getMessage());
        }
        return Optional.empty();
    }

    /** Someone who wants to know when an object of a watched kind is added, changed or deleted (the audit). */
    public interface ChangeListener {
        void changed(String kind, String namespace, String name);
    }

    /** Tells {@code listener} of every change to every watched kind from now on. */
    public void addListener(ChangeListener listener) {
        listeners.add(listener);
    }

    private void tellListeners(String kind, GenericKubernetesResource object) {
        for (ChangeListener listener : listeners) {
            listener.changed(kind, object.getMetadata().getNamespace(), object.getMetadata().getName());
        }
    }

    /** Watches {@code kinds} too (the kinds the audit judges), whether or not a rule declares them in related:. */
    public void watch(Set<String> kinds) {
        if (enabled) {
            requestedKinds = Set.copyOf(kinds);
            reconcile();
        }
    }

    /** The cached object, or null: never asks the API server (unlike {@link #get}). */
    public Map<String, Object> cached(String kind, String namespace, String name) {
        KindCache cache = caches.get(kind);
        return cache == null ? null : cache.get(namespace, name);
    }

    /** Every cached object of {@code kind} in every namespace, converted as {@link #list} converts them. */
    public List<Map<String, Object>> all(String kind) {
        KindCache cache = caches.get(kind);
        return cache == null ? List.of() : List.copyOf(cache.all());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> toMap(KubernetesClient client, Object object) {
        return client.getKubernetesSerialization().convertValue(object, Map.class);
    }

    /** True when context lookups are off, or every informer has listed its kind once. */
    public boolean allSynced() {
        if (synced) {
            return true;
        }
        boolean all = informers.values().stream().allMatch(SharedIndexInformer::hasSynced);
        synced = all;
        return all;
    }

    public boolean enabled() {
        return enabled;
    }

    /** For readiness: kind -> whether its informer has synced. */
    public Map<String, Boolean> status() {
        Map<String, Boolean> status = new TreeMap<>();
        informers.forEach((kind, informer) -> status.put(kind, informer.hasSynced()));
        return status;
    }

    @Override
    public boolean available() {
        if (!enabled) {
            return false;
        }
        if (allSynced()) {
            return true;
        }
        if (reportedNotSynced.compareAndSet(false, true)) {
            LOG.warnf("context lookups not synced yet %s: context rules see no other objects until they are", status());
        }
        return false;
    }

    @Override
    public boolean normalised() {
        return true;
    }

    /** The owner lookup: the informer cache, then (bounded, see the class comment) one GET. */
    @Override
    public Map<String, Object> get(String kind, String namespace, String name) {
        if (!enabled) {
            return null;
        }
        KindCache cache = caches.get(kind);
        Map<String, Object> cached = cache == null ? null : cache.get(namespace, name);
        return cached != null ? cached : fetch(cache, kind, namespace, name);
    }

    private Map<String, Object> fetch(KindCache cache, String kind, String namespace, String name) {
        if (cache == null || namespace == null || name == null || !lookups.tryAcquire()) {
            return null;
        }
        try {
            KubernetesClient client = clients.get();
            GenericKubernetesResource found = CompletableFuture.supplyAsync(() -> client
                    .genericKubernetesResources(ApiObjects.definition(cache.kind()))
                    .inNamespace(namespace).withName(name).get())
                    .get(lookupTimeout.toMillis(), TimeUnit.MILLISECONDS);
            LOG.debugf("ownership: %s %s/%s not cached yet, found by GET: %s", kind, namespace, name, found != null);
            return found == null ? null : cache.convert(found);
        } catch (TimeoutException e) {
            LOG.warnf("ownership: GET %s %s/%s took longer than %s; judged as not found", kind, namespace, name,
                    lookupTimeout);
            return null;
        } catch (ExecutionException e) {
            LOG.warnf("ownership: GET %s %s/%s failed: %s", kind, namespace, name, e.getCause());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            lookups.release();
        }
    }

    /** The labels of a cached Namespace; none while Namespaces are not watched (the policy reads no namespace labels). */
    @Override
    public Map<String, ?> namespaceLabels(String namespace) {
        KindCache cache = enabled ? caches.get("Namespace") : null;
        Map<String, Object> found = cache == null ? null : cache.clusterScoped(namespace);
        return found == null ? Map.of() : ObjectTree.map(found, "metadata", "labels");
    }

    /** The cached objects of {@code kind} in {@code namespace}; none for a kind not watched (a reload starts it). */
    @Override
    public List<Map<String, Object>> list(String kind, String namespace) {
        return indexed(kind, namespace);
    }

    /** The namespace's objects as one indexed snapshot, rebuilt only after an object of the namespace changed. */
    @Override
    public RelatedList indexed(String kind, String namespace) {
        KindCache cache = caches.get(kind);
        return cache == null ? RelatedList.of(List.of()) : cache.indexed(namespace);
    }
}
