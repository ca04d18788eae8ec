package dev.safeguard.e2e;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;

/** The admission scenarios against kube-apiserver and etcd run as local processes (must pass on every machine with the binaries). */
@OnCluster(LocalBinariesCluster.class)
@QuarkusIntegrationTest
@WithTestResource(E2EWebhook.class)
class LocalBinariesAdmissionIT extends AdmissionScenarios {
}
