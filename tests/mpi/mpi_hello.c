/*
 * mpi_hello.c - a runner that is itself an MPI program: every rank adds
 * x * (rank + 1), rank 0 prints the outcome {"y": sum, "ranks": size}.
 * test_mpi.c starts it with its own mpirun from inside a Genesis runner.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int rank, size;
    double x, v, sum = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    x = argc > 1 ? atof(argv[1]) : 0.0;
    v = x * (rank + 1);
    MPI_Reduce(&v, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0)
        printf("{\"y\": %.17g, \"ranks\": %d}\n", sum, size);
    MPI_Finalize();
    return 0;
}
