package dev.safeguard.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;

/** AdmissionReviews shaped as kube-apiserver sends them, around manifests written as YAML in tests. */
final class Reviews {

    private static final ObjectMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = new ObjectMapper();

    private Reviews() {
    }

    static ObjectNode yaml(String manifest) {
        try {
            return (ObjectNode) YAML.readTree(manifest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String create(String manifest) {
        return review("CREATE", yaml(manifest), null, false);
    }

    static String update(String manifest, String oldManifest) {
        return review("UPDATE", yaml(manifest), yaml(oldManifest), false);
    }

    /** A CREATE by {@code username}: a controller's service account, say. */
    static String createAs(String manifest, String username) {
        ObjectNode review = (ObjectNode) yaml(create(manifest));
        ((ObjectNode) review.path("request").path("userInfo")).put("username", username);
        return review.toString();
    }

    static String review(String operation, ObjectNode object, ObjectNode oldObject, boolean dryRun) {
        ObjectNode review = JSON.createObjectNode();
        review.put("apiVersion", "admission.k8s.io/v1");
        review.put("kind", "AdmissionReview");
        ObjectNode request = review.putObject("request");
        request.put("uid", UUID.randomUUID().toString());
        ObjectNode source = object != null ? object : oldObject;
        String apiVersion = source.path("apiVersion").asText();
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String version = apiVersion.substring(apiVersion.indexOf('/') + 1);
        String kind = source.path("kind").asText();
        ObjectNode gvk = request.putObject("kind");
        gvk.put("group", group).put("version", version).put("kind", kind);
        ObjectNode resource = request.putObject("resource");
        resource.put("group", group).put("version", version).put("resource", kind.toLowerCase() + "s");
        request.set("requestKind", gvk.deepCopy());
        request.set("requestResource", resource.deepCopy());
        // The API server leaves name out for generateName objects on CREATE.
        if (source.path("metadata").hasNonNull("name")) {
            request.put("name", source.path("metadata").path("name").asText());
        }
        if (source.path("metadata").hasNonNull("namespace")) {
            request.put("namespace", source.path("metadata").path("namespace").asText());
        }
        request.put("operation", operation);
        ObjectNode userInfo = request.putObject("userInfo");
        userInfo.put("username", "alice@example.com");
        userInfo.put("uid", "3a2c8e1f-0d2b-4f6e-9c1a-7b5d4e3f2a10");
        userInfo.putArray("groups").add("developers").add("system:authenticated");
        request.set("object", object);
        request.set("oldObject", oldObject);
        request.put("dryRun", dryRun);
        ObjectNode options = request.putObject("options");
        options.put("apiVersion", "meta.k8s.io/v1");
        options.put("kind", switch (operation) {
            case "CREATE" -> "CreateOptions";
            case "UPDATE" -> "UpdateOptions";
            default -> "DeleteOptions";
        });
        if (!"DELETE".equals(operation)) {
            options.put("fieldManager", "kubectl-client-side-apply");
        }
        return review.toString();
    }

    static String uidOf(String review) {
        try {
            return JSON.readTree(review).path("request").path("uid").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
