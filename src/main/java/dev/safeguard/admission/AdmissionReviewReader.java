package dev.safeguard.admission;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.safeguard.rules.ObjectTree;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.util.Map;

/** Parses and checks an AdmissionReview admission.k8s.io/v1 body, naming what is wrong when it is not one. */
@ApplicationScoped
public class AdmissionReviewReader {

    public static final String API_VERSION = "admission.k8s.io/v1";
    public static final String KIND = "AdmissionReview";

    private final ObjectMapper json;

    public AdmissionReviewReader(ObjectMapper json) {
        this.json = json;
    }

    public AdmissionRequest read(byte[] body) throws BadAdmissionReviewException {
        if (body == null || body.length == 0) {
            throw new BadAdmissionReviewException("empty body: expected an AdmissionReview (" + API_VERSION + ") as JSON");
        }
        JsonNode review;
        try {
            review = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadAdmissionReviewException("body is not JSON: " + e.getOriginalMessage()
                    + location(e), e);
        } catch (IOException e) {
            throw new BadAdmissionReviewException("body cannot be read: " + e.getMessage(), e);
        }
        if (review == null || !review.isObject()) {
            throw new BadAdmissionReviewException("body is JSON but not an object: expected an AdmissionReview");
        }
        String apiVersion = review.path("apiVersion").asText("");
        String kind = review.path("kind").asText("");
        if (!KIND.equals(kind)) {
            throw new BadAdmissionReviewException("kind is '" + kind + "', expected " + KIND);
        }
        if (!API_VERSION.equals(apiVersion)) {
            throw new BadAdmissionReviewException("apiVersion is '" + apiVersion + "', expected " + API_VERSION
                    + " (set admissionReviewVersions: [v1] in the ValidatingWebhookConfiguration)");
        }
        JsonNode request = review.get("request");
        if (request == null || !request.isObject()) {
            throw new BadAdmissionReviewException("AdmissionReview has no request object");
        }
        String uid = request.path("uid").asText("");
        if (uid.isBlank()) {
            throw new BadAdmissionReviewException("request.uid is missing or empty: the response could not be matched");
        }
        String operation = request.path("operation").asText("");
        if (operation.isBlank()) {
            throw new BadAdmissionReviewException("request.operation is missing (expected CREATE, UPDATE, DELETE or CONNECT)");
        }
        JsonNode object = request.get("object");
        if (object != null && !object.isNull() && !object.isObject()) {
            throw new BadAdmissionReviewException("request.object is not a JSON object");
        }
        JsonNode oldObject = request.get("oldObject");
        Map<String, Object> old = oldObject != null && oldObject.isObject() ? ObjectTree.of(oldObject) : null;
        return new AdmissionRequest(uid, apiVersion, request.path("kind").path("kind").asText(null), operation,
                text(request, "namespace"), text(request, "name"), text(request, "subResource"),
                ObjectTree.of(request.get("userInfo")), request.path("dryRun").asBoolean(false),
                ObjectTree.of(object), old);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() && !value.asText().isEmpty() ? value.asText() : null;
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                + e.getLocation().getColumnNr() + ")";
    }
}
