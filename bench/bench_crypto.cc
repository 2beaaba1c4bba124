// Sealing and authentication throughput, each next to a reference measured
// in the same run: Envelope::Seal/Open against a direct AesGcmSeal/Open call
// (the cost of the data-key lookup and unwrap), and API key authentication
// against a bare SHA-256 of the token (the cost of the database lookup).
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "bench/bench_store.h"
#include "common/envelope.h"
#include "common/sqlite_database.h"
#include "services/accounts/accounts.h"
#include "services/accounts/admin_key.h"
#include "services/certificates/asymmetric_key.h"

using namespace latchkey;

static double OpsPerSecond(const std::function<void()>& fn, double seconds = 1.0) {
  for (int i = 0; i < 100; ++i) fn();  // warm up
  auto start = std::chrono::steady_clock::now();
  long n = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
         seconds) {
    for (int i = 0; i < 100; ++i) fn();
    n += 100;
  }
  return n / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

static void Report(const char* name, double ours, const char* ref_name, double ref) {
  std::printf("%-34s %12.0f ops/s | %-24s %12.0f ops/s | ratio %.2f\n", name, ours, ref_name, ref,
              ours / ref);
}

int main() {
  bench::BenchStore store("latchkey-bench");
  auto& db = store.db;
  Envelope& envelope = store.envelope;
  ApiKeyService& api_keys = store.api_keys;
  AccountService& accounts = store.accounts;
  auto created = *accounts.Create("bench", AuditContext{"admin", "r", "127.0.0.1"});
  const std::string& acct = created.account.id;
  std::string secret(64, 's');
  SecretBytes raw_key(Bytes(32, 7));
  Bytes sealed = *envelope.Seal(*db, acct, "credential", "openai", secret);
  Bytes raw_sealed = *AesGcmSeal(raw_key, secret, "aad");

  std::printf("latchkey crypto benchmark (1 thread, 64-byte secrets)\n");
  Report("Envelope::Seal",
         OpsPerSecond([&] { (void)envelope.Seal(*db, acct, "credential", "openai", secret); }),
         "AesGcmSeal (direct)", OpsPerSecond([&] { (void)AesGcmSeal(raw_key, secret, "aad"); }));
  Report("Envelope::Open", OpsPerSecond([&] {
           (void)envelope.Open(*db, acct, "credential", "openai", AsView(sealed));
         }),
         "AesGcmOpen (direct)",
         OpsPerSecond([&] { (void)AesGcmOpen(raw_key, AsView(raw_sealed), "aad"); }));
  AuditContext ctx{"", "r", "127.0.0.1"};
  Report("ApiKeyService::Authenticate",
         OpsPerSecond([&] { (void)api_keys.Authenticate(created.first_key.token, ctx); }),
         "Sha256Hex(token)", OpsPerSecond([&] { (void)Sha256Hex(created.first_key.token); }));

  // RS256 signing: our path (digest + sign through a fresh EVP_MD_CTX each
  // call) against a raw EVP_PKEY_sign on a ready context, which is what
  // `openssl speed rsa2048` measures.
  auto rsa = *AsymmetricKey::Generate(KeyAlgorithm::kRs256, 2048);
  EVP_PKEY* raw = EVP_RSA_gen(2048);
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new(raw, nullptr);
  EVP_PKEY_sign_init(pctx);
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
  EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256());
  Bytes digest = Sha256("header.payload");
  unsigned char sig[512];
  std::string input(300, 'x');
  Report("AsymmetricKey::Sign RS256", OpsPerSecond([&] { (void)rsa.Sign(input); }, 2.0),
         "EVP_PKEY_sign (raw)",
         OpsPerSecond(
             [&] {
               size_t len = sizeof(sig);
               EVP_PKEY_sign(pctx, sig, &len, digest.data(), digest.size());
             },
             2.0));
  EVP_PKEY_CTX_free(pctx);
  EVP_PKEY_free(raw);
  db->Close();
  return 0;
}
