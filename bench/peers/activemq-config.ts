/**
 * The configuration the ActiveMQ peer runs with: one broker, one STOMP connector on a free
 * 127.0.0.1 port (no OpenWire, AMQP, MQTT, web console or JMX: nothing the benchmark does not
 * use), KahaDB in the run's own temporary directory, advisories and the scheduler off.
 * Memory and store limits are set high enough that producer flow control stays out of the
 * window (its default 64 MiB per destination would throttle the persistent run), and below
 * the JVM heap the peer gives it.
 */
export function activemqXml(dir: string, stompPort: number): string {
  return `<beans xmlns="http://www.springframework.org/schema/beans"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="stompbox-bench" useJmx="false"
          advisorySupport="false" schedulerSupport="false" dataDirectory="${dir}/data">
    <destinationPolicy>
      <policyMap><policyEntries>
        <policyEntry queue=">" producerFlowControl="true" memoryLimit="256mb"/>
      </policyEntries></policyMap>
    </destinationPolicy>
    <persistenceAdapter>
      <kahaDB directory="${dir}/data/kahadb"/>
    </persistenceAdapter>
    <systemUsage>
      <systemUsage>
        <memoryUsage><memoryUsage limit="512 mb"/></memoryUsage>
        <storeUsage><storeUsage limit="4 gb"/></storeUsage>
        <tempUsage><tempUsage limit="1 gb"/></tempUsage>
      </systemUsage>
    </systemUsage>
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:${stompPort}?transport.closeAsync=false"/>
    </transportConnectors>
  </broker>
</beans>
`;
}

/**
 * The JVM options Debian's `/usr/bin/activemq` passes on Java 9 and later (the module opens
 * its XBean/Spring startup needs), with the heap fixed so runs compare.
 */
export const JVM_OPTIONS = [
  '-Xms1G',
  '-Xmx1G',
  '-Dorg.apache.activemq.UseDedicatedTaskRunner=true',
  '--add-reads=java.xml=java.logging',
  '--add-opens=java.base/java.security=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.naming/javax.naming.spi=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED',
];
