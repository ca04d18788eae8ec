package dev.safeguard.e2e;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/**
 * The same admission scenarios on k3s in Docker. Without a Docker engine (as on the project's own CI
 * machine) the class is skipped with "Docker not available: k3s provider skipped" and nothing runs.
 */
@OnCluster(K3sCluster.class)
@QuarkusIntegrationTest
@WithTestResource(E2EWebhook.class)
class K3sAdmissionIT extends AdmissionScenarios {
}
