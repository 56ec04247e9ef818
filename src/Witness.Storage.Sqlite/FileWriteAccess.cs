using System.Runtime.InteropServices;
using System.Text;

namespace Witness.Storage.Sqlite;

/// <summary>
/// Whether this process may write a file, asked with POSIX <c>access(2)</c> and never by opening it. The SQLite files
/// are open in this process, and closing any descriptor of a file drops every POSIX lock the process holds on it,
/// SQLite's included: the next process that closes the database (a <c>witness</c> command beside the server) then
/// takes itself for the last one and deletes the WAL and shared memory this server goes on committing to.
/// </summary>
internal static unsafe class FileWriteAccess
{
    private const int WriteOk = 2;

    private static readonly delegate* unmanaged[Cdecl]<byte*, int, int> Access = Load();

    /// <summary>Null when <paramref name="path"/> may be written (or when there is no C library to ask), else why not.</summary>
    public static string? Refusal(string path)
    {
        if (Access == null)
        {
            return null;
        }

        var name = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* text = name)
        {
            if (Access(text, WriteOk) == 0)
            {
                return null;
            }
        }

        return $"{path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastSystemError())}";
    }

    private static delegate* unmanaged[Cdecl]<byte*, int, int> Load()
    {
        foreach (var library in (string[])["libc.so.6", "libc"])
        {
            if (NativeLibrary.TryLoad(library, out var handle) && NativeLibrary.TryGetExport(handle, "access", out var access))
            {
                return (delegate* unmanaged[Cdecl]<byte*, int, int>)access;
            }
        }

        return null;
    }
}
