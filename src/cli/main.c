#include "genesis/genesis.h"
int main(void) { return 0; }
