namespace Witness.Storage;

/// <summary>
/// A connection reading beside an <see cref="ILogSnapshot"/> could not be pinned to its snapshot and found
/// the tenant's log changed since it was taken. Nothing is wrong with the log: the verification starts
/// again from a new snapshot.
/// </summary>
public sealed class LogSnapshotMovedException() : Exception("the tenant's log changed while the verification's snapshot was being shared; it starts again");
