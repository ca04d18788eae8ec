package dev.safeguard.admission;

import java.util.Map;

/**
 * The parts of an AdmissionReview request the webhook uses, with the objects already normalised for the
 * engine. Read by hand from the JSON tree rather than into fabric8's typed AdmissionRequest: that would
 * deserialise the object into typed model classes (dropping fields the model version does not know)
 * only for us to turn it back into a map.
 */
public record AdmissionRequest(String uid, String apiVersion, String kind, String operation, String namespace,
        String name, String subResource, Map<String, Object> userInfo, boolean dryRun, Map<String, Object> object,
        Map<String, Object> oldObject) {

    /** The kind of the object under review: request.kind.kind, falling back to the object's own kind. */
    public String objectKind() {
        Map<String, Object> source = object.isEmpty() && oldObject != null ? oldObject : object;
        return source.get("kind") instanceof String own ? own : kind;
    }
}
