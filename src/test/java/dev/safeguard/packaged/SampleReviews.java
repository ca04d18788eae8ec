package dev.safeguard.packaged;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.UUID;

/** Reviews built from the shipped sample (a 3-replica Deployment without spread, denied by one rule). */
final class SampleReviews {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Path SAMPLE = Path.of("deploy", "examples", "admission-review-deployment.json");

    private SampleReviews() {
    }

    /** The sample with a fresh uid and, when {@code key} is not null, an annotation on the Deployment. */
    static String sample(String key, String value) {
        try {
            ObjectNode review = (ObjectNode) JSON.readTree(SAMPLE.toFile());
            ObjectNode request = (ObjectNode) review.path("request");
            request.put("uid", UUID.randomUUID().toString());
            if (key != null) {
                ObjectNode metadata = (ObjectNode) request.path("object").path("metadata");
                ObjectNode annotations = metadata.has("annotations") ? (ObjectNode) metadata.path("annotations")
                        : metadata.putObject("annotations");
                annotations.put(key, value);
            }
            return review.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String uid(String review) {
        try {
            return JSON.readTree(review).path("request").path("uid").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
