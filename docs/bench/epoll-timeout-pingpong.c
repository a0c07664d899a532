/*
 * What a timeout on the server's epoll wait costs a Unix-socket ping-pong (docs/BENCHMARKS.md, "Session 8: the
 * dispatch loop waits without a timeout"). A client and a forked server over a socketpair, 72-byte request, 32-byte
 * reply, 200,000 round trips per pass, best mean of 5 passes. Server wait modes:
 *   0 blocking read(2); 1 epoll_wait(-1) + recv; 2 epoll_wait(1000 ms) + recv; 3 epoll_pwait2({1 s}) + recv.
 * gcc -O2 -o pingpong epoll-timeout-pingpong.c && for m in 0 1 3; do taskset -c 0 ./pingpong $m; done
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
/* mode 0: blocking read; 1: epoll_wait(-1)+recv; 2: epoll_wait(1000ms)+recv; 3: epoll_pwait2(1s)+recv */
static void server(int fd, int mode){
  char buf[128]; int ep=epoll_create1(0); struct epoll_event ev={.events=EPOLLIN|EPOLLET,.data.fd=fd};
  epoll_ctl(ep,EPOLL_CTL_ADD,fd,&ev);
  for(;;){
    int n;
    if(mode==0){ n=read(fd,buf,72); }
    else {
      if(mode==1) epoll_wait(ep,&ev,1,-1);
      else if(mode==2) epoll_wait(ep,&ev,1,1000);
      else { struct timespec ts={1,0}; syscall(SYS_epoll_pwait2,ep,&ev,1,&ts,NULL,8); }
      n=recv(fd,buf,80,MSG_DONTWAIT);
    }
    if(n<=0) exit(0);
    send(fd,buf,32,0);
  }
}
int main(int argc,char**argv){
  int mode=atoi(argv[1]); int N=200000;
  int sv[2]; socketpair(AF_UNIX,SOCK_STREAM,0,sv);
  if(fork()==0){ close(sv[0]); server(sv[1],mode); }
  close(sv[1]); char buf[128]; memset(buf,1,sizeof buf);
  double best=1e18;
  for(int r=0;r<5;r++){
    double t0=now();
    for(int i=0;i<N;i++){ send(sv[0],buf,72,0); int got=0; while(got<32){int k=read(sv[0],buf,32-got); got+=k;} }
    double dt=(now()-t0)/N; if(dt<best) best=dt;
  }
  printf("mode %d: best mean round trip %.2f us\n", mode, best/1000);
  close(sv[0]); wait(NULL);
}
