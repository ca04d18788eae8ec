package dev.safeguard.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The chart under helm/kube-safeguard, rendered with a real Helm engine (helm-java: Helm's Go code through
 * JNI, the same `helm template` an operator runs), and the rendered documents as Jackson trees.
 */
final class Chart {

    static final Path DIRECTORY = Path.of("helm/kube-safeguard");
    static final String RELEASE = "kube-safeguard";
    static final String NAMESPACE = "kube-safeguard";
    /** The background audit's objects (Deployment, Service, ServiceAccount, ClusterRole, ...). */
    static final String AUDIT = RELEASE + "-audit";
    /**
     * helm-java's embedded Helm defaults to Kubernetes v1.20.0 when no cluster is asked (below the chart's
     * kubeVersion); render for the version the project's API-server tests use.
     */
    static final String KUBE_VERSION = "1.35.8";
    static final YAMLMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = new ObjectMapper();

    private Chart() {
    }

    static Helm helm() {
        return new Helm(DIRECTORY);
    }

    /** `helm template kube-safeguard helm/kube-safeguard -n kube-safeguard --set k=v ...`. */
    static Render render(Map<String, String> sets) {
        return render(sets, null);
    }

    static Render render(String... keyValues) {
        return render(sets(keyValues), null);
    }

    /** Renders with --set values and an optional values file given as YAML text. */
    static Render render(Map<String, String> sets, String valuesYaml) {
        return new Render(template(sets, valuesYaml));
    }

    /** The raw output of helm template; throws IllegalStateException with Helm's message on failure. */
    static String template(Map<String, String> sets, String valuesYaml) {
        TemplateCommand command = helm().template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        sets.forEach(command::set);
        if (valuesYaml != null) {
            try {
                Path file = Files.createTempFile("kube-safeguard-values", ".yaml");
                file.toFile().deleteOnExit();
                Files.writeString(file, valuesYaml);
                command.withValuesFile(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return command.call();
    }

    static Map<String, String> sets(String... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("key/value pairs expected");
        }
        Map<String, String> sets = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            sets.put(keyValues[i], keyValues[i + 1]);
        }
        return sets;
    }

    /** The documents of one render. */
    record Render(String text, List<ObjectNode> documents) {

        Render(String text) {
            this(text, parse(text));
        }

        private static List<ObjectNode> parse(String text) {
            List<ObjectNode> documents = new ArrayList<>();
            try (var parser = new YAMLFactory().createParser(text)) {
                var iterator = YAML.readValues(parser, JsonNode.class);
                while (iterator.hasNext()) {
                    JsonNode node = iterator.next();
                    if (node instanceof ObjectNode object && !object.isEmpty()) {
                        documents.add(object);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("rendered chart is not valid YAML:\n" + text, e);
            }
            return documents;
        }

        List<ObjectNode> all(String kind) {
            return documents.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
        }

        /** The only document of a kind; fails listing what was rendered otherwise. */
        ObjectNode one(String kind) {
            List<ObjectNode> found = all(kind);
            if (found.size() != 1) {
                throw new AssertionError("expected exactly one " + kind + " but found " + found.size() + " in: "
                        + kinds());
            }
            return found.get(0);
        }

        ObjectNode named(String kind, String name) {
            return all(kind).stream().filter(d -> name.equals(d.path("metadata").path("name").asText())).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in: " + kinds()));
        }

        boolean has(String kind) {
            return !all(kind).isEmpty();
        }

        List<String> kinds() {
            return documents.stream()
                    .map(d -> d.path("kind").asText() + "/" + d.path("metadata").path("name").asText())
                    .collect(Collectors.toList());
        }

        /** The webhook's Deployment (the background audit has its own, {@link #auditDeployment()}). */
        ObjectNode deployment() {
            return named("Deployment", RELEASE);
        }

        ObjectNode podSpec() {
            return podSpecOf(deployment());
        }

        ObjectNode container() {
            return onlyContainer(podSpec());
        }

        /** The background audit's Deployment. */
        ObjectNode auditDeployment() {
            return named("Deployment", AUDIT);
        }

        ObjectNode auditPodSpec() {
            return podSpecOf(auditDeployment());
        }

        ObjectNode auditContainer() {
            return onlyContainer(auditPodSpec());
        }

        /** The value of an env var of the audit container, or null. */
        String auditEnv(String name) {
            return envOf(auditContainer(), name);
        }

        private static ObjectNode podSpecOf(ObjectNode deployment) {
            return (ObjectNode) deployment.path("spec").path("template").path("spec");
        }

        private static ObjectNode onlyContainer(ObjectNode podSpec) {
            ArrayNode containers = (ArrayNode) podSpec.path("containers");
            if (containers.size() != 1) {
                throw new AssertionError("expected one container, got " + containers.size());
            }
            return (ObjectNode) containers.get(0);
        }

        private static String envOf(ObjectNode container, String name) {
            for (JsonNode env : container.path("env")) {
                if (name.equals(env.path("name").asText())) {
                    return env.path("value").asText();
                }
            }
            return null;
        }

        ObjectNode webhook() {
            ArrayNode webhooks = (ArrayNode) one("ValidatingWebhookConfiguration").path("webhooks");
            if (webhooks.size() != 1) {
                throw new AssertionError("expected one webhook, got " + webhooks.size());
            }
            return (ObjectNode) webhooks.get(0);
        }

        /** The value of an env var of the webhook container, or null. */
        String env(String name) {
            return envOf(container(), name);
        }

        /** The SafeguardPolicy document inside the policy ConfigMap. */
        JsonNode policy() {
            JsonNode configMap = named("ConfigMap", RELEASE + "-policy");
            try {
                return YAML.readTree(configMap.path("data").path("policy.yaml").asText());
            } catch (IOException e) {
                throw new UncheckedIOException("policy.yaml is not valid YAML", e);
            }
        }
    }

    /**
     * Whether a Kubernetes label selector (matchLabels and matchExpressions) selects these labels. An empty
     * selector selects everything, as in a NetworkPolicy's podSelector.
     */
    static boolean selects(JsonNode selector, Map<String, String> labels) {
        for (var entry : labels(selector.path("matchLabels")).entrySet()) {
            if (!entry.getValue().equals(labels.get(entry.getKey()))) {
                return false;
            }
        }
        for (JsonNode expression : selector.path("matchExpressions")) {
            String value = labels.get(expression.path("key").asText());
            List<String> values = new ArrayList<>();
            expression.path("values").forEach(v -> values.add(v.asText()));
            boolean matches = switch (expression.path("operator").asText()) {
                case "In" -> value != null && values.contains(value);
                case "NotIn" -> value == null || !values.contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new AssertionError("unknown operator in " + expression);
            };
            if (!matches) {
                return false;
            }
        }
        return true;
    }

    /** Labels as a plain map. */
    static Map<String, String> labels(JsonNode labels) {
        Map<String, String> map = new LinkedHashMap<>();
        labels.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }
}
