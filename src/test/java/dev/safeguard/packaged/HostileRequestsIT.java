package dev.safeguard.packaged;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packaged webhook with the chart's JVM options and memory limit, against a custom rule that exhausts the
 * heap from a 2.7 KB annotation: the request is answered with an AdmissionReview (per on-internal-error),
 * counted, and the process lives on and keeps deciding.
 */
class HostileRequestsIT {

    static final String POLICY = """
            apiVersion: safeguard.dev/v1alpha1
            kind: SafeguardPolicy
            metadata: {name: hostile}
            spec:
              mode: enforce
              customRules:
                - id: heap-hog
                  title: Exhausts the heap from a small annotation
                  category: hygiene
                  action: deny
                  match: {kinds: [Deployment]}
                  validation: >-
                    !has(object.metadata.annotations) || !('safeguard.test/heap' in object.metadata.annotations) ||
                    object.metadata.annotations['safeguard.test/heap'].split('').map(c,
                      object.metadata.annotations['safeguard.test/heap'].replace('a',
                        object.metadata.annotations['safeguard.test/heap'])).size() == 0
                  message: "'heap'"
            """;

    @Test
    void ruleThatExhaustsTheHeapIsAnsweredAndTheProcessLivesOn() throws Exception {
        // A deadline long enough for the heap to run out first, so that the OutOfMemoryError is what is answered.
        try (PackagedWebhook webhook = PackagedWebhook.start("hostile", PackagedWebhook.chartJvmOptions(),
                Map.of("SAFEGUARD_ADMISSION_DEADLINE", "20s", "SAFEGUARD_ADMISSION_WORKERS", "2"), POLICY)) {
            String review = SampleReviews.sample("safeguard.test/heap", "a".repeat(2_700));
            HttpResponse<String> answer = webhook.post(review);
            assertThat(answer.statusCode()).isEqualTo(200);
            JsonNode response = SampleReviews.JSON.readTree(answer.body()).path("response");
            assertThat(response.path("uid").asText()).isEqualTo(SampleReviews.uid(review));
            assertThat(response.path("allowed").asBoolean()).as("on-internal-error=allow").isTrue();
            assertThat(response.path("warnings").toString()).contains("OutOfMemoryError");

            assertThat(webhook.process.isAlive()).isTrue();
            assertThat(PackagedWebhook.metric(webhook.metrics(), "safeguard_admission_internal_errors_total",
                    "reason=\"error\"")).isEqualTo(1.0);
            // and it goes on deciding
            HttpResponse<String> next = webhook.post(SampleReviews.sample(null, null));
            assertThat(SampleReviews.JSON.readTree(next.body()).path("response").path("status").path("message").asText())
                    .contains("[replicas-spread]");
            assertThat(webhook.readyStatus()).isEqualTo(200);
        }
    }
}
