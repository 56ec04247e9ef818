using System.Globalization;

namespace Witness.Bench;

/// <summary>What this process has written through system calls (<c>wchar</c> and <c>syscw</c> of /proc/self/io; zeros elsewhere).</summary>
internal static class ProcessWrites
{
    public static (long Bytes, long Calls) Sample()
    {
        if (!File.Exists("/proc/self/io"))
        {
            return (0, 0);
        }

        var fields = File.ReadAllLines("/proc/self/io").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        return (fields["wchar"], fields["syscw"]);
    }
}

/// <summary>The ingest pipeline's group commits while it listens (the <c>witness.ingest.group.*</c> instruments): how many, their events and their summed time.</summary>
internal sealed class GroupCommits : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private long _groups;
    private long _events;
    private double _seconds;

    public GroupCommits()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name is "witness.ingest.group.size" or "witness.ingest.group.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            Interlocked.Increment(ref _groups);
            Interlocked.Add(ref _events, value);
        });
        _listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (_listener)
            {
                _seconds += value;
            }
        });
        _listener.Start();
    }

    public (long Groups, long Events, double Seconds) Read()
    {
        lock (_listener)
        {
            return (Interlocked.Read(ref _groups), Interlocked.Read(ref _events), _seconds);
        }
    }

    public void Dispose() => _listener.Dispose();
}
