package dev.safeguard.cluster;

import dev.safeguard.rules.ApiResource;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.rules.RuleSet;
import dev.safeguard.server.PolicyHolder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Context for the webhook's context rules from shared informers: one per kind the policy's rules declare in
 * {@code related:}, over every namespace, indexed by namespace. {@link #list} reads that in-memory cache and
 * never calls the API server.
 *
 * <p>Until every informer has synced (or with {@code safeguard.context.enabled=false}) this is
 * {@link RelatedObjects#NONE}: {@link #available()} is false and context rules stay quiet rather than judge
 * from half a cache. An API server that cannot be reached is retried for ever in the background; the
 * webhook keeps answering meanwhile.
 */
@ApplicationScoped
public class InformerRelatedObjects implements RelatedObjects {

    private static final Logger LOG = Logger.getLogger(InformerRelatedObjects.class);

    private final boolean enabled;
    private final PolicyHolder policies;
    private final Instance<KubernetesClient> clients;
    private final Map<String, KindCache> caches = new ConcurrentHashMap<>();
    private final Map<String, SharedIndexInformer<GenericKubernetesResource>> informers = new ConcurrentHashMap<>();
    private final Set<String> reportedUnknown = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean reportedNotSynced = new AtomicBoolean();
    private final AtomicBoolean reportedReady = new AtomicBoolean();
    private volatile boolean synced;

    public InformerRelatedObjects(
            @ConfigProperty(name = "safeguard.context.enabled", defaultValue = "false") boolean enabled,
            PolicyHolder policies, Instance<KubernetesClient> clients) {
        this.enabled = enabled;
        this.policies = policies;
        this.clients = clients;
    }

    void start(@Observes StartupEvent event) {
        if (!enabled) {
            LOG.info("context lookups off (safeguard.context.enabled=false): context rules see no other objects");
            return;
        }
        Set<String> kinds = declaredKinds(policies.current().rules());
        LOG.infof("context lookups on: watching %s in every namespace", kinds);
        kinds.forEach(this::inform);
    }

    void stop(@Observes ShutdownEvent event) {
        informers.values().forEach(SharedIndexInformer::stop);
    }

    /** Every kind the rules of {@code rules} declare in {@code related:}, whatever their action. */
    static Set<String> declaredKinds(RuleSet rules) {
        Set<String> kinds = new TreeSet<>();
        rules.entries().forEach(entry -> kinds.addAll(entry.rule().definition().related()));
        return kinds;
    }

    private synchronized void inform(String kindName) {
        if (informers.containsKey(kindName)) {
            return;
        }
        var known = ContextKind.of(kindName);
        if (known.isEmpty()) {
            LOG.warnf("context lookups: no informer for kind %s (known: %s); rules see none of them", kindName,
                    new TreeSet<>(ContextKind.WATCHABLE));
            return;
        }
        ApiResource kind = known.get();
        KubernetesClient client = clients.get();
        SharedIndexInformer<GenericKubernetesResource> informer = client.genericKubernetesResources(ContextKind.definition(kind))
                .inAnyNamespace().runnableInformer(0);
        // The namespace index is on by default (Cache.NAMESPACE_INDEX); list() reads through it.
        KindCache cache = new KindCache(kind,
                namespace -> informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace),
                object -> toMap(client, object));
        informer.addEventHandler(new ResourceEventHandler<GenericKubernetesResource>() {
            @Override
            public void onAdd(GenericKubernetesResource object) {
            }

            @Override
            public void onUpdate(GenericKubernetesResource old, GenericKubernetesResource object) {
            }

            @Override
            public void onDelete(GenericKubernetesResource object, boolean unknownFinalState) {
                cache.forget(object);
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
                LOG.infof("context lookups: %s cached (%d objects)", kind.plural(), informer.getStore().list().size());
                if (allSynced() && reportedReady.compareAndSet(false, true)) {
                    LOG.infof("context lookups ready: every informer synced %s", status().keySet());
                }
            }
        });
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

    @Override
    public List<Map<String, Object>> list(String kind, String namespace) {
        KindCache cache = caches.get(kind);
        if (cache == null) {
            if (enabled && reportedUnknown.add(kind)) {
                // A reloaded policy declared a kind no rule declared at start-up: watch it from now on.
                LOG.infof("context lookups: %s newly declared in related:, starting to watch it", kind);
                synced = false;
                reportedReady.set(false);
                inform(kind);
            }
            return List.of();
        }
        return cache.list(namespace);
    }
}
