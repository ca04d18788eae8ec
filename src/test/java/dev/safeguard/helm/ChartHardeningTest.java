package dev.safeguard.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the chart sets for the hardened review path: deadline, worker pool, limits, memory, graceful shutdown. */
class ChartHardeningTest {

    @Test
    void deadlineFollowsTheWebhookTimeout() {
        assertThat(Chart.render().env("SAFEGUARD_ADMISSION_DEADLINE")).isEqualTo("3000ms");
        assertThat(Chart.render("webhook.timeoutSeconds", "10").env("SAFEGUARD_ADMISSION_DEADLINE")).isEqualTo("6000ms");
        assertThat(Chart.render("webhook.timeoutSeconds", "1").env("SAFEGUARD_ADMISSION_DEADLINE")).isEqualTo("600ms");
    }

    @Test
    void workerPoolAndInputLimitsReachTheService() {
        Chart.Render render = Chart.render("admission.workers", "4", "admission.limits.maxContainers", "50");
        assertThat(render.env("SAFEGUARD_ADMISSION_WORKERS")).isEqualTo("4");
        assertThat(render.env("SAFEGUARD_ADMISSION_QUEUE")).isEqualTo("64");
        assertThat(render.env("SAFEGUARD_ADMISSION_MAX_IN_FLIGHT_BYTES")).isEqualTo("48M");
        assertThat(render.env("SAFEGUARD_ADMISSION_LIMITS_MAX_CONTAINERS")).isEqualTo("50");
        assertThat(render.env("SAFEGUARD_ADMISSION_LIMITS_MAX_ENV")).isEqualTo("1000");
        assertThat(render.env("SAFEGUARD_ADMISSION_LIMITS_MAX_LIST_ITEMS")).isEqualTo("5000");
        assertThat(render.env("SAFEGUARD_ADMISSION_LIMITS_MAX_STRING_LENGTH")).isEqualTo("262144");
        assertThat(render.env("SAFEGUARD_ADMISSION_LIMITS_MAX_DEPTH")).isEqualTo("64");
        assertThat(render.env("SAFEGUARD_ADMISSION_LIMITS_MAX_VALUES")).isEqualTo("200000");
        assertThatThrownBy(() -> Chart.render("admission.workers", "0")).hasMessageContaining("workers");
    }

    @Test
    void memoryIsSizedForTheLimitAndAnOutOfMemoryErrorDoesNotEndTheProcess() {
        Chart.Render render = Chart.render();
        String options = render.env("JAVA_TOOL_OPTIONS");
        assertThat(options).contains("-XX:MaxRAMPercentage=45", "-XX:MaxDirectMemorySize=", "-XX:MaxMetaspaceSize=",
                "-XX:ReservedCodeCacheSize=").doesNotContain("ExitOnOutOfMemoryError");
        assertThat(render.env("MALLOC_ARENA_MAX")).isEqualTo("2");
        assertThat(render.container().path("resources").path("limits").path("memory").asText()).isEqualTo("512Mi");
    }

    @Test
    void shutdownSleepsBeforeSigtermThenDrains() {
        Chart.Render render = Chart.render();
        JsonNode preStop = render.container().path("lifecycle").path("preStop").path("exec").path("command");
        List<String> command = new ArrayList<>();
        preStop.forEach(part -> command.add(part.asText()));
        assertThat(command).containsExactly("sleep", "5");
        assertThat(render.env("QUARKUS_SHUTDOWN_DELAY")).isEqualTo("3s");
        assertThat(render.env("QUARKUS_SHUTDOWN_TIMEOUT")).isEqualTo("10s");
        assertThat(render.podSpec().path("terminationGracePeriodSeconds").asInt()).isEqualTo(30);

        assertThat(Chart.render("shutdown.preStopSeconds", "0").container().has("lifecycle")).isFalse();
        assertThatThrownBy(() -> Chart.render("terminationGracePeriodSeconds", "15"))
                .hasMessageContaining("terminationGracePeriodSeconds (15) must be at least")
                .hasMessageContaining("(20)");
    }
}
