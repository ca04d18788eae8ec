package dev.safeguard.rules;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the engine derives once per object so that rules need not know where each kind keeps its pod
 * template: {@code podSpec}, {@code podLabels}, {@code containers} (each marked with its {@code type}, a
 * {@code name} even when the manifest has none, and the {@code label} messages name it by) and {@code replicas}.
 */
public final class Workload {

    /** Kinds whose pod template lives at spec.template. */
    private static final Set<String> TEMPLATE_KINDS =
            Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController");
    /** Kinds whose replica count the API server defaults to 1 when absent. */
    private static final Set<String> REPLICATED_KINDS =
            Set.of("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController");
    private final String kind;
    private final String namespace;
    private final String name;
    private final Map<String, Object> podSpec;
    private final String podSpecPath;
    private final Map<String, Object> podLabels;
    private final List<Object> containers;
    private final long replicas;

    private Workload(Map<String, Object> object) {
        this.kind = ObjectTree.string(object, "kind");
        this.namespace = ObjectTree.string(object, "metadata", "namespace");
        this.name = displayName(object);
        this.podSpecPath = podSpecPath(kind);
        this.podSpec = podSpecPath.isEmpty() ? Map.of() : ObjectTree.map(object, podSpecPath.split("\\."));
        this.podLabels = podLabels(object, podSpecPath);
        this.containers = containers(podSpec);
        this.replicas = replicas(kind, object);
    }

    /** The labels the object's pods carry: a Pod's own, a workload's pod template's; empty for other kinds. */
    public static Map<String, Object> podLabelsOf(Map<String, Object> object) {
        return podLabels(object, podSpecPath(ObjectTree.string(object, "kind")));
    }

    private static Map<String, Object> podLabels(Map<String, Object> object, String podSpecPath) {
        if (podSpecPath.isEmpty()) {
            return Map.of();
        }
        // The pod's metadata sits beside its spec: spec.template.spec -> spec.template.metadata.
        String[] path = podSpecPath.split("\\.");
        path[path.length - 1] = "metadata";
        return ObjectTree.map(ObjectTree.map(object, path), "labels");
    }

    public static Workload of(Map<String, Object> object) {
        return new Workload(object);
    }

    /** Where objects of {@code kind} keep their pod spec ("spec", "spec.template.spec", ...); "" for none. */
    public static String podSpecPath(String kind) {
        if ("Pod".equals(kind)) {
            return "spec";
        }
        if ("CronJob".equals(kind)) {
            return "spec.jobTemplate.spec.template.spec";
        }
        return kind != null && TEMPLATE_KINDS.contains(kind) ? "spec.template.spec" : "";
    }

    /** True for kinds whose spec.replicas the API server defaults to 1 when absent. */
    public static boolean defaultsReplicas(String kind) {
        return kind != null && REPLICATED_KINDS.contains(kind);
    }

    private static String displayName(Map<String, Object> object) {
        String name = ObjectTree.string(object, "metadata", "name");
        if (name != null && !name.isEmpty()) {
            return name;
        }
        String generateName = ObjectTree.string(object, "metadata", "generateName");
        return generateName != null ? generateName + "<generated>" : "<unnamed>";
    }

    private static List<Object> containers(Map<String, Object> podSpec) {
        List<Object> all = new ArrayList<>();
        addContainers(all, ObjectTree.list(podSpec, "initContainers"), "init");
        addContainers(all, ObjectTree.list(podSpec, "containers"), "app");
        addContainers(all, ObjectTree.list(podSpec, "ephemeralContainers"), "ephemeral");
        return Collections.unmodifiableList(all);
    }

    private static void addContainers(List<Object> all, List<Object> declared, String type) {
        int index = 0;
        for (Object element : declared) {
            index++;
            if (!(element instanceof Map<?, ?> container)) {
                continue;
            }
            Map<String, Object> marked = new LinkedHashMap<>();
            container.forEach((key, value) -> marked.put((String) key, value));
            marked.put("type", type);
            // Messages name containers; a manifest without a name still gets a stable, findable label.
            boolean named = marked.get("name") instanceof String containerName && !containerName.isEmpty();
            if (!named) {
                marked.put("name", "<" + type + " container #" + index + ">");
            }
            // How messages name it: "web", "wait-for-db (init)", "debugger (ephemeral)", "<app container #2>".
            marked.put("label", "app".equals(type) || !named ? marked.get("name") : marked.get("name") + " (" + type + ")");
            all.add(Collections.unmodifiableMap(marked));
        }
    }

    private static long replicas(String kind, Map<String, Object> object) {
        if ("Pod".equals(kind)) {
            return 1;
        }
        if (defaultsReplicas(kind)) {
            return ObjectTree.get(object, "spec", "replicas") instanceof Number count ? count.longValue() : 1;
        }
        return 0;
    }

    public String kind() {
        return kind;
    }

    /** The object's namespace, or null when the manifest names none. */
    public String namespace() {
        return namespace;
    }

    /** The name, or {@code generateName<generated>} for objects the API server will name. */
    public String name() {
        return name;
    }

    public Map<String, Object> podSpec() {
        return podSpec;
    }

    /** Where the pod spec sits in this kind ("spec.template.spec"), so messages can say where to fix. */
    public String podSpecPath() {
        return podSpecPath;
    }

    public Map<String, Object> podLabels() {
        return podLabels;
    }

    public List<Object> containers() {
        return containers;
    }

    /** Pods the object asks for: spec.replicas (default 1) for replicated kinds, 1 for a Pod, else 0. */
    public long replicas() {
        return replicas;
    }

    /** "Deployment shop/web", or "Deployment web" when the namespace is unknown. */
    public String reference() {
        return kind + " " + (namespace == null ? "" : namespace + "/") + name;
    }
}
