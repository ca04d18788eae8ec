package dev.safeguard.admission;

import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.Workload;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How big an object the webhook judges. Checked before any rule runs, so a hostile or absurd object costs a
 * streaming pass over its bytes, not the evaluation of every rule over every element. The structural bounds
 * (depth, values, list items, string length) are checked by {@link ReviewScan} while the body is read; the
 * Kubernetes ones (containers per pod, env entries per container) on the parsed object.
 *
 * @param maxDepth         nesting of JSON objects and arrays in the whole review
 * @param maxValues        JSON values (objects, arrays, scalars) in the whole review, object and oldObject together
 * @param maxListItems     items in any one JSON array
 * @param maxStringLength  characters in any one string (annotations together may hold 256 KiB in Kubernetes)
 * @param maxContainers    containers of one pod spec: init, app and ephemeral together
 * @param maxEnv           env entries of one container
 */
public record InputLimits(int maxDepth, int maxValues, int maxListItems, int maxStringLength, int maxContainers,
        int maxEnv) {

    /** The defaults of application.properties, for code that runs without Quarkus (tests, tools). */
    public static final InputLimits DEFAULTS = new InputLimits(64, 200_000, 5_000, 262_144, 200, 1_000);

    /** A limit the object breaks: which one (the metric label), and the sentence the user reads. */
    public record Exceeded(String limit, String message) {
    }

    /** The first Kubernetes-level limit {@code object} breaks, if any. */
    public Optional<Exceeded> check(Map<String, Object> object) {
        String kind = ObjectTree.string(object, "kind");
        String path = Workload.podSpecPath(kind == null ? "" : kind);
        if (path.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> podSpec = ObjectTree.map(object, path.split("\\."));
        int containers = 0;
        for (String list : List.of("initContainers", "containers", "ephemeralContainers")) {
            List<Object> entries = ObjectTree.list(podSpec, list);
            containers += entries.size();
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i) instanceof Map<?, ?> container && container.get("env") instanceof List<?> env
                        && env.size() > maxEnv) {
                    return Optional.of(new Exceeded("env", String.format(
                            "%s.%s[%d].env has %,d entries, more than the %,d kube-safeguard judges "
                                    + "(safeguard.admission.limits.max-env)", path, list, i, env.size(), maxEnv)));
                }
            }
        }
        if (containers > maxContainers) {
            return Optional.of(new Exceeded("containers", String.format(
                    "%s has %,d containers (init, app and ephemeral), more than the %,d kube-safeguard judges "
                            + "(safeguard.admission.limits.max-containers)", path, containers, maxContainers)));
        }
        return Optional.empty();
    }
}
