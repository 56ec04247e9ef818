using System.Buffers;
using System.Globalization;
using System.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Witness.Events;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Export;

/// <summary>
/// The verifiable NDJSON export (docs/export-format.md). Line 1 is a header with the tenant, the
/// filters and the signed checkpoint. An unfiltered export then lists the whole log, seq 1 to the
/// checkpoint's size, one event per line exactly as the API shows it, so a verifier recomputes the
/// root. A filtered export lists the matching events newest first, each line
/// <c>{"event":…,"prev_seq":…,"proof":[…]}</c> with its inclusion proof. The last line is a trailer
/// with the event count and the SHA-256 of every byte before it, signed by the log's key.
/// </summary>
public sealed class NdjsonExportWriter : IExportWriter
{
    private const int FlushAt = 64 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string Format => "ndjson";

    public string Extension => "ndjson";

    public string ContentType => "application/x-ndjson; charset=utf-8";

    public async Task<long> WriteAsync(ExportSource source, Stream output, CancellationToken ct)
    {
        var wholeLog = source.IsWholeLog && await source.HoldsLogStartAsync(ct).ConfigureAwait(false);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new ArrayBufferWriter<byte>(FlushAt * 2);
        var (earlier, keys) = await source.KeyHistoryAsync(wholeLog, ct).ConfigureAwait(false);
        WriteHeader(buffer, source, wholeLog, earlier, keys);

        long rows = 0;
        if (wholeLog)
        {
            await foreach (var stored in source.InSeqOrderAsync(ct).ConfigureAwait(false))
            {
                CanonicalEvent.WriteWithHash(buffer, stored.Body, stored.Hash, stored.Personal);
                buffer.Write("\n"u8);
                rows++;
                await FlushAsync(buffer, hash, output, FlushAt, ct).ConfigureAwait(false);
            }
        }
        else
        {
            var nodes = new CachingNodeSource(source.Nodes, source.LogSize);
            long? previous = null;
            await foreach (var stored in source.NewestFirstAsync(ct).ConfigureAwait(false))
            {
                var proof = await MerkleProofs.InclusionAsync(stored.Seq - 1, source.LogSize, nodes, ct).ConfigureAwait(false);
                WriteProofLine(buffer, stored, previous, proof);
                previous = stored.Seq;
                rows++;
                await FlushAsync(buffer, hash, output, FlushAt, ct).ConfigureAwait(false);
            }
        }

        await FlushAsync(buffer, hash, output, 0, ct).ConfigureAwait(false);
        var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
        var signature = VerifiableExport.SignTrailer(source.Signer.Key, source.Tenant, rows, digest);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject(VerifiableExport.TrailerMember);
            w.WriteNumber("events", rows);
            w.WriteString("sha256", digest);
            w.WriteString("signature", Convert.ToBase64String(signature));
            w.WriteEndObject();
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        await output.FlushAsync(ct).ConfigureAwait(false);
        return rows;
    }

    private static void WriteHeader(ArrayBufferWriter<byte> buffer, ExportSource source, bool wholeLog, IReadOnlyList<StoredCheckpoint> earlier, IReadOnlyList<RegisteredKey> keys)
    {
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber(VerifiableExport.HeaderMember, VerifiableExport.Version);
            w.WriteString("tenant", source.Tenant);
            w.WriteString("generated_at", Rfc3339.FormatFixed(source.GeneratedAt));
            w.WriteString("mode", wholeLog ? VerifiableExport.WholeLogMode : VerifiableExport.ProofsMode);
            w.WriteString("order", wholeLog ? "seq" : "newest_first");
            w.WriteStartObject("filters");
            foreach (var (name, value) in source.Filters.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                w.WriteString(name, value);
            }

            w.WriteEndObject();
            if (source.Checkpoint is { } checkpoint)
            {
                w.WriteStartObject("checkpoint");
                w.WriteString("origin", source.CheckpointOrigin);
                w.WriteNumber("size", checkpoint.Size);
                w.WriteString("root_hash", Convert.ToBase64String(checkpoint.RootHash));
                w.WriteString("note", checkpoint.Note);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("checkpoint");
            }

            w.WriteString("key_name", source.Signer.KeyName);
            w.WriteString("public_key_pem", source.Signer.PublicKeyPem);
            w.WriteStartArray("earlier_checkpoints");
            foreach (var older in earlier)
            {
                w.WriteStartObject();
                w.WriteNumber("size", older.Size);
                w.WriteString("root_hash", Convert.ToBase64String(older.RootHash));
                w.WriteString("note", older.Note);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("keys");
            foreach (var key in keys)
            {
                w.WriteStartObject();
                w.WriteString("key_id", key.KeyId);
                w.WriteString("public_key_pem", key.PublicKeyPem);
                w.WriteString("valid_from", Rfc3339.FormatFixed(key.ValidFrom));
                if (key.ValidUntil is { } until)
                {
                    w.WriteString("valid_until", Rfc3339.FormatFixed(until));
                }
                else
                {
                    w.WriteNull("valid_until");
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
    }

    private static void WriteProofLine(ArrayBufferWriter<byte> buffer, StoredEvent stored, long? previous, byte[][] proof)
    {
        // Numbers and hex digits need no escaping, so the members after the event are written as they are.
        buffer.Write("{\"event\":"u8);
        CanonicalEvent.WriteWithHash(buffer, stored.Body, stored.Hash, stored.Personal);
        buffer.Write(",\"prev_seq\":"u8);
        buffer.Write(previous is { } seq ? Encoding.ASCII.GetBytes(seq.ToString(CultureInfo.InvariantCulture)) : "null"u8);
        buffer.Write(",\"proof\":["u8);
        for (var i = 0; i < proof.Length; i++)
        {
            buffer.Write(i == 0 ? "\""u8 : ",\""u8);
            buffer.Write(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(proof[i])));
            buffer.Write("\""u8);
        }

        buffer.Write("]}\n"u8);
    }

    private static async ValueTask FlushAsync(ArrayBufferWriter<byte> buffer, IncrementalHash hash, Stream output, int threshold, CancellationToken ct)
    {
        if (buffer.WrittenCount == 0 || buffer.WrittenCount < threshold)
        {
            return;
        }

        hash.AppendData(buffer.WrittenSpan);
        await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        buffer.ResetWrittenCount();
    }
}
