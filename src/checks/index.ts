import type {CheckDef} from './define.js';
import {present as envPresent, value as envValue} from './env.js';
import {consistent as secretsConsistent, notDefault as secretsNotDefault, strength as secretsStrength} from './secrets.js';
import {
  dockerSocket as composeDockerSocket,
  envSet as composeEnvSet,
  imagePinned as composeImagePinned,
  noLiteral as composeNoLiteral,
  portsPrivate as composePortsPrivate,
  resourceLimits as composeResourceLimits,
  commandFlags as composeCommandFlags,
  noRootGroup as composeNoRootGroup,
} from './compose.js';
import {
  envSecretRef as helmEnvSecretRef,
  imagePinned as helmImagePinned,
  ingressHosts as helmIngressHosts,
  noPlaintextSecrets as helmNoPlaintextSecrets,
  value as helmValue,
  resourceLimits as helmResourceLimits,
  urlCredentials as helmUrlCredentials,
} from './helm.js';
import {
  envSecrets as k8sEnvSecrets,
  jobCleanup as k8sJobCleanup,
  noSecretData as k8sNoSecretData,
  podAnnotation as k8sPodAnnotation,
  replicas as k8sReplicas,
  resourceLimits as k8sResourceLimits,
  secretManager as k8sSecretManager,
  serviceTypes as k8sServiceTypes,
} from './k8s.js';
import {
  configChecksum as k8sConfigChecksum,
  imagePinned as k8sImagePinned,
  imagePullPolicy as k8sImagePullPolicy,
  ingressTls as k8sIngressTls,
  rbacReview as k8sRbacReview,
  resourceRequests as k8sResourceRequests,
  securityContext as k8sSecurityContext,
} from './k8s-workloads.js';
import {
  clean as gitClean,
  ignored as gitIgnored,
  neverCommitted as gitNeverCommitted,
  notTracked as gitNotTracked,
  valueNeverCommitted as gitValueNeverCommitted,
} from './git.js';
import {listening as netListening, reachable as netReachable} from './net.js';
import {resolves as dnsResolves} from './dns.js';
import {
  absent as filesAbsent,
  contains as filesContains,
  executable as filesExecutable,
  exists as filesExists,
  mode as filesMode,
  owner as filesOwner,
  symlink as filesSymlink,
} from './files.js';
import {alpn as tlsAlpn, certificate as tlsCertificate, pemFile as tlsPemFile, protocols as tlsProtocols} from './tls.js';
import {redirectsToHttps as httpRedirectsToHttps, request as httpRequest, requiresAuth as httpRequiresAuth} from './http.js';
import {
  base64 as formatsBase64,
  clerkSecretKey as formatsClerkSecretKey,
  duration as formatsDuration,
  nkey as formatsNkey,
  origins as formatsOrigins,
  rsaKey as formatsRsaKey,
  semver as formatsSemver,
  url as formatsUrl,
  webhookSecret as formatsWebhookSecret,
  x25519Keypair as formatsX25519Keypair,
} from './formats.js';
import {backupFresh as hostBackupFresh, scheduled as hostScheduled} from './host-backups.js';
import {disk as hostDisk, dockerLogs as hostDockerLogs} from './host-disk.js';
import {firewall as hostFirewall} from './host-firewall.js';
import {systemdUnit as hostSystemdUnit} from './host-services.js';
import {firewallConfig as hostFirewallConfig} from './host-firewall-files.js';
import {sshOption as hostSshOption} from './host-ssh.js';
import {timeSync as hostTimeSync, unitEnabledCheck as hostUnitEnabled} from './host-units.js';
import {autoUpdates as hostAutoUpdates} from './host-updates.js';
import {
  configValue as discordConfigValue,
  distinct as discordDistinct,
  featureEnv as discordFeatureEnv,
  features as discordFeatures,
  gatewayBackends as discordGatewayBackends,
  gatewayTokenCheck as discordGatewayToken,
  instanceEnv as discordInstanceEnv,
  instances as discordInstances,
  logRotation as discordLogRotation,
  mcpAuth as discordMcpAuth,
  personality as discordPersonality,
  placeholders as discordPlaceholders,
  postgresPassword as discordPostgresPassword,
  prefixes as discordPrefixes,
  published as discordPublished,
  restartPolicy as discordRestartPolicy,
} from './discord.js';
import {
  connect as postgresConnect,
  connectionBudget as postgresConnectionBudget,
  defaultPasswordRefused as postgresDefaultPasswordRefused,
  extension as postgresExtension,
  schemas as postgresSchemas,
  setting as postgresSetting,
} from './postgres.js';
import {defaultUser as redisDefaultUser, protectedMode as redisProtectedMode, requiresPassword as redisRequiresPassword} from './redis.js';
import {authRequired as natsAuthRequired, streamReplicas as natsStreamReplicas, version as natsVersion} from './nats.js';
import {
  dbCredentials as zitadelDbCredentials,
  dbSsl as zitadelDbSsl,
  endpoint as zitadelEndpoint,
  envNames as zitadelEnvNames,
  externalDomain as zitadelExternalDomain,
  externalFingerprint as zitadelExternalFingerprint,
  externalPort as zitadelExternalPort,
  externalSecure as zitadelExternalSecure,
  firstAdminChangeRequired as zitadelFirstAdminChangeRequired,
  firstAdminPassword as zitadelFirstAdminPassword,
  http2 as zitadelHttp2,
  masterkeyLength as zitadelMasterkeyLength,
  masterkeyNotExample as zitadelMasterkeyNotExample,
  masterkeyNotLiteral as zitadelMasterkeyNotLiteral,
  masterkeySameSource as zitadelMasterkeySameSource,
  replicas as zitadelReplicas,
  runtimeStart as zitadelRuntimeStart,
  secretsNotLiteral as zitadelSecretsNotLiteral,
  setupSeparate as zitadelSetupSeparate,
  smtp as zitadelSmtp,
} from './zitadel.js';
import {COMPOSE_HARDENING_CHECKS} from './compose-hardening.js';
import {HOODCLOUD_CHECKS} from './hoodcloud.js';
import {VAULT_CHECKS} from './vault.js';

/**
 * Every check, listed by hand. Adding a check: define it (in its family's file, or a new file),
 * then add one line here. Nothing is picked up implicitly.
 */
const ALL: readonly CheckDef[] = [
  envPresent,
  envValue,
  secretsConsistent,
  secretsNotDefault,
  secretsStrength,
  composeDockerSocket,
  composeEnvSet,
  composeImagePinned,
  composeNoLiteral,
  composePortsPrivate,
  composeResourceLimits,
  composeCommandFlags,
  composeNoRootGroup,
  helmEnvSecretRef,
  helmImagePinned,
  helmIngressHosts,
  helmNoPlaintextSecrets,
  helmValue,
  helmResourceLimits,
  helmUrlCredentials,
  k8sEnvSecrets,
  k8sJobCleanup,
  k8sNoSecretData,
  k8sPodAnnotation,
  k8sReplicas,
  k8sResourceLimits,
  k8sSecretManager,
  k8sServiceTypes,
  k8sConfigChecksum,
  k8sImagePinned,
  k8sImagePullPolicy,
  k8sIngressTls,
  k8sRbacReview,
  k8sResourceRequests,
  k8sSecurityContext,
  gitClean,
  gitIgnored,
  gitNeverCommitted,
  gitNotTracked,
  gitValueNeverCommitted,
  netListening,
  netReachable,
  dnsResolves,
  filesAbsent,
  filesContains,
  filesExecutable,
  filesExists,
  filesMode,
  filesOwner,
  filesSymlink,
  tlsAlpn,
  tlsCertificate,
  tlsPemFile,
  tlsProtocols,
  httpRedirectsToHttps,
  httpRequest,
  httpRequiresAuth,
  formatsBase64,
  formatsClerkSecretKey,
  formatsDuration,
  formatsNkey,
  formatsOrigins,
  formatsRsaKey,
  formatsSemver,
  formatsUrl,
  formatsWebhookSecret,
  formatsX25519Keypair,
  hostBackupFresh,
  hostDisk,
  hostDockerLogs,
  hostFirewall,
  hostScheduled,
  hostSystemdUnit,
  hostFirewallConfig,
  hostSshOption,
  hostTimeSync,
  hostUnitEnabled,
  hostAutoUpdates,
  discordConfigValue,
  discordDistinct,
  discordFeatureEnv,
  discordFeatures,
  discordGatewayBackends,
  discordGatewayToken,
  discordInstanceEnv,
  discordInstances,
  discordLogRotation,
  discordMcpAuth,
  discordPersonality,
  discordPlaceholders,
  discordPostgresPassword,
  discordPrefixes,
  discordPublished,
  discordRestartPolicy,
  postgresConnect,
  postgresConnectionBudget,
  postgresDefaultPasswordRefused,
  postgresExtension,
  postgresSchemas,
  postgresSetting,
  redisDefaultUser,
  redisProtectedMode,
  redisRequiresPassword,
  natsAuthRequired,
  natsStreamReplicas,
  natsVersion,
  zitadelMasterkeyLength,
  zitadelMasterkeyNotExample,
  zitadelMasterkeyNotLiteral,
  zitadelMasterkeySameSource,
  zitadelExternalDomain,
  zitadelExternalSecure,
  zitadelExternalPort,
  zitadelExternalFingerprint,
  zitadelFirstAdminPassword,
  zitadelFirstAdminChangeRequired,
  zitadelDbCredentials,
  zitadelDbSsl,
  zitadelRuntimeStart,
  zitadelSetupSeparate,
  zitadelReplicas,
  zitadelHttp2,
  zitadelEnvNames,
  zitadelSecretsNotLiteral,
  zitadelSmtp,
  zitadelEndpoint,
  ...COMPOSE_HARDENING_CHECKS,
  ...HOODCLOUD_CHECKS,
  ...VAULT_CHECKS,
];

function build(defs: readonly CheckDef[]): Map<string, CheckDef> {
  const map = new Map<string, CheckDef>();
  for (const def of defs) {
    if (map.has(def.id)) throw new Error(`two checks share the id ${def.id}`);
    map.set(def.id, def);
  }
  return map;
}

export const CHECKS: ReadonlyMap<string, CheckDef> = build(ALL);
