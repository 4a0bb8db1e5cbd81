# shellcheck shell=sh
# Sample $CATALINA_BASE/bin/setenv.sh for alipay-notify; catalina.sh sources it at every start.
# The webapp reads its settings from system properties, the environment, or the properties file named by
# ALIPAY_NOTIFY_CONFIG (see README.md "Configuration"). Keeping them in one file outside the WAR means a new WAR
# never carries secrets, and the file can be readable by the tomcat user only (chmod 600).
# An already exported value wins (deploy/test-deployment.sh exports its own and uses this file unchanged).
export ALIPAY_NOTIFY_CONFIG="${ALIPAY_NOTIFY_CONFIG:-/etc/alipay-notify/alipay-notify.properties}"

# CATALINA_OPTS applies to the running server only (not to "catalina.sh stop").
# A bounded heap: the webapp itself needs little (a pool, a parsed key); 512 MB leaves room for a redeploy.
CATALINA_OPTS="${CATALINA_OPTS:-} -Xms128m -Xmx512m"
# Own log4j2 configuration instead of the console one in the WAR (optional):
# CATALINA_OPTS="$CATALINA_OPTS -Dlog4j2.configurationFile=/etc/alipay-notify/log4j2.xml"
export CATALINA_OPTS
