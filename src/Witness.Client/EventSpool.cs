using System.Text.Json;

namespace Witness.Client;

/// <summary>
/// Batches of events kept on disk until Witness takes them: one file per batch, the <c>{"events":[…]}</c> body
/// exactly as it will be sent, written to a temporary name and renamed so that a crash leaves either the whole
/// file or none. Files are taken oldest first. Batches Witness refused go to <c>rejected/</c> for a person to look at.
/// </summary>
internal sealed class EventSpool
{
    private const string Extension = ".batch";
    private readonly string _directory;
    private readonly string _rejected;
    private long _counter;

    public EventSpool(string directory)
    {
        _directory = Path.GetFullPath(directory);
        _rejected = Path.Combine(_directory, "rejected");
        Directory.CreateDirectory(_directory);
        foreach (var stale in Directory.EnumerateFiles(_directory, "*.tmp"))
        {
            File.Delete(stale);
        }
    }

    public bool HasBatches => Directory.EnumerateFiles(_directory, "*" + Extension).Any();

    public void Write(IReadOnlyList<AuditEvent> events)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new EventBatch([.. events]), ClientJson.Default.EventBatch);
        WriteBody(body);
    }

    public void WriteBody(byte[] body)
    {
        // Time first so names sort oldest first; the counter and a random part keep names unique across threads and processes.
        var name = FormattableString.Invariant($"{DateTime.UtcNow:yyyyMMddHHmmssfffffff}-{Interlocked.Increment(ref _counter):D8}-{Guid.NewGuid():N}");
        var temporary = Path.Combine(_directory, name + ".tmp");
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
        {
            file.Write(body);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, Path.Combine(_directory, name + Extension));
    }

    /// <summary>The oldest spooled batches, at most <paramref name="count"/>.</summary>
    public IReadOnlyList<string> Oldest(int count) =>
        [.. Directory.EnumerateFiles(_directory, "*" + Extension).Order(StringComparer.Ordinal).Take(count)];

    public static byte[] Read(string file) => File.ReadAllBytes(file);

    public static void Delete(string file) => File.Delete(file);

    public void Reject(string file)
    {
        Directory.CreateDirectory(_rejected);
        File.Move(file, Path.Combine(_rejected, Path.GetFileName(file)), overwrite: true);
    }

    public void RejectBody(byte[] body)
    {
        Directory.CreateDirectory(_rejected);
        File.WriteAllBytes(Path.Combine(_rejected, $"{Guid.NewGuid():N}{Extension}"), body);
    }
}
